import assert from 'node:assert/strict';
import { summarize } from '../../src/core';
import { isReady, isRequest, POLICY_METHODS } from '../../src/extension/panels/messages';
import { groupHealthText, releaseDescription, relativeTime, sortReleasesNewestFirst, statusBarView } from '../../src/extension/presentation';
import { describePlan, planFromError, planTarget } from '../../src/extension/rollbackPlan';
import { FleetApiError } from '../../src/extension/fleetClient';
import { defaultReportName } from '../../src/extension/presentation';
import { stoppedRollouts } from '../../src/extension/rolloutText';
import { validateServerUrl } from '../../src/extension/validation';

describe('extension/presentation (words the console shows)', () => {
  const fleet = summarize([
    { groupId: 'g', state: 'up-to-date', version: '3.59.127.0', targetVersion: null, count: 97, health: 'up-to-date' },
    { groupId: 'g', state: 'failed', version: '3.59.0.0', targetVersion: '3.59.127.0', count: 3, health: 'failed' },
    { groupId: 'g', state: 'waiting', version: '3.58.0.0', targetVersion: '3.59.127.0', count: 0, health: 'waiting', waitingFor: 'rollout' },
  ]);
  const mixed = summarize([
    { groupId: 'g', state: 'up-to-date', version: '3.59.127.0', targetVersion: null, count: 8, health: 'up-to-date' },
    { groupId: 'g', state: 'waiting', version: '3.58.0.0', targetVersion: '3.59.127.0', count: 3, health: 'waiting', waitingFor: 'rollout' },
    { groupId: 'g', state: 'deferred', version: '3.58.0.0', targetVersion: '3.59.127.0', count: 1, health: 'waiting', waitingFor: 'deferral' },
    { groupId: 'g', state: 'up-to-date', version: '3.58.0.0', targetVersion: null, count: 2, health: 'not-seen' },
  ], 7);

  it('status bar: "$(pulse) 97% up to date · 3 failed", warning only above the threshold', () => {
    const v = statusBarView(fleet.percentFailed >= 0 ? fleet : fleet, 5);
    assert.equal(v.text, '$(pulse) 97% up to date · 3 failed');
    assert.equal(v.warning, false);
    assert.match(v.tooltip, /Up to date: 97 \(97% of 100 seen\)/);
    assert.match(v.tooltip, /Failed: 3/);
    assert.equal(statusBarView(fleet, 2).warning, true);
    assert.equal(statusBarView(fleet, 3).warning, false, 'exactly at the threshold is not above it');
    assert.equal(statusBarView(undefined, 5).text, '$(pulse) Update Fleet');
  });

  it('status bar: a halted rollout beside the health, as a warning; a paused one in the tooltip only', () => {
    const releases = [
      { version: '3.59.127.0', state: 'approved' as const, rollouts: [
        { groupName: 'Office', state: 'halted' as const, reason: '77% of clients failed (10 of 13), above the 20% threshold.' },
        { groupName: 'Pilot', state: 'running' as const, reason: null },
      ] },
      { version: '3.60.0.0', state: 'approved' as const, rollouts: [{ groupName: 'Lab', state: 'paused' as const, reason: 'waiting for the vendor' }] },
      { version: '3.58.0.0', state: 'retired' as const, rollouts: [{ groupName: 'Office', state: 'halted' as const, reason: 'old' }] },
    ] as unknown as Parameters<typeof stoppedRollouts>[0];
    const stopped = stoppedRollouts(releases);
    assert.deepEqual(stopped.map((r) => `${r.version} ${r.groupName} ${r.state}`), ['3.59.127.0 Office halted', '3.60.0.0 Lab paused'], 'approved releases only');
    const v = statusBarView(fleet, 5, undefined, stopped);
    assert.equal(v.text, '$(pulse) 97% up to date · 3 failed · $(debug-stop) 1 rollout halted');
    assert.equal(v.warning, true, 'a halt waits for an operator, whatever the failure share');
    assert.match(v.tooltip, /Rollout of 3\.59\.127\.0 halted in Office: 77% of clients failed/);
    assert.match(v.tooltip, /Rollout of 3\.60\.0\.0 paused in Lab: waiting for the vendor/);
    const pausedOnly = statusBarView(fleet, 5, undefined, stopped.filter((r) => r.state === 'paused'));
    assert.equal(pausedOnly.text, '$(pulse) 97% up to date · 3 failed');
    assert.equal(pausedOnly.warning, false);
    assert.equal(statusBarView(fleet, 5, undefined, []).tooltip.includes('Rollout of'), false);
  });

  it('status bar: the share current among the clients seen; the tooltip names what holds the rest', () => {
    const v = statusBarView(mixed, 5);
    assert.equal(v.text, '$(pulse) 66.7% up to date');
    assert.match(v.tooltip, /Up to date: 8 \(66\.7% of 12 seen\)/);
    assert.match(v.tooltip, /Waiting: 4 \(rollout percentage 3, reminded later 1\)/);
    assert.match(v.tooltip, /Not seen \(no check-in for 7 days\): 2/);
    assert.doesNotMatch(v.tooltip, /Behind/, 'a health nobody has is left out');
    assert.equal(groupHealthText(mixed), '66.7% up to date');
    assert.equal(groupHealthText(summarize([])), '');
  });

  it('release description carries the beta tag and the client count (seed 000)', () => {
    assert.equal(releaseDescription({ channel: 'beta', clientCount: 1, state: 'pending' }), 'beta · 1 client · Download, test, and then approve');
    assert.equal(releaseDescription({ channel: 'stable', clientCount: 1200, state: 'retired' }), '1,200 clients · No longer supported');
    assert.equal(releaseDescription({ channel: 'stable', clientCount: 0, state: 'pending', artifact: {} }), '0 clients · no package · Download, test, and then approve');
  });

  it('sorts releases newest first with the core comparator (four parts, leading zeros, pre-releases)', () => {
    const v = sortReleasesNewestFirst([{ version: '3.1.018' }, { version: '3.59.127.0' }, { version: '3.1.2' }]).map((r) => r.version);
    assert.deepEqual(v, ['3.59.127.0', '3.1.018', '3.1.2']);
  });

  it('relative time', () => {
    const now = new Date('2025-01-02T00:00:00Z');
    assert.equal(relativeTime('2025-01-01T23:59:50Z', now), 'just now');
    assert.equal(relativeTime('2025-01-01T23:00:00Z', now), '1 hour ago');
    assert.equal(relativeTime('2024-12-30T00:00:00Z', now), '3 days ago');
  });
});

describe('extension/panels/messages (typed host ↔ webview protocol)', () => {
  it('recognises ready and known requests only', () => {
    assert.equal(isReady({ type: 'ready' }), true);
    assert.equal(isReady({ type: 'request' }), false);
    assert.equal(isRequest({ type: 'request', id: 1, method: 'save', params: {} }, POLICY_METHODS), true);
    assert.equal(isRequest({ type: 'request', id: 1, method: 'drop', params: {} }, POLICY_METHODS), false);
    assert.equal(isRequest({ type: 'request', id: '1', method: 'save' }, POLICY_METHODS), false);
    assert.equal(isRequest(null, POLICY_METHODS), false);
  });
});

describe('extension/commands (pure parts)', () => {
  it('rollback plan: target or the version that must be approved first (seed 000)', () => {
    const plan = {
      release: 'r2', targetVersion: null, targetReleaseId: null, mustApproveVersion: '1.2.2', targetState: 'pending' as const,
      revivesRetired: false, basis: 'highest-below' as const, originClients: 0, affectedClients: 12, carriedOut: false,
    };
    assert.equal(planTarget(plan), '1.2.2');
    assert.match(describePlan('1.2.3', plan), /12 clients on 1\.2\.3 will move to 1\.2\.2/);
    assert.match(describePlan('1.2.3', plan), /1\.2\.2 is not approved/);
    const err = new FleetApiError(409, 'must-approve', 'Approve 1.2.2 first', { error: { code: 'must-approve', message: 'x' }, plan });
    assert.deepEqual(planFromError(err), plan);
    assert.equal(planFromError(new FleetApiError(400, 'bad', 'x', {})), undefined);
  });

  it('report file names and server URL validation', () => {
    const d = new Date('2025-03-04T10:00:00Z');
    assert.equal(defaultReportName('failed', d), 'failed-upgrades-2025-03-04.csv');
    assert.equal(defaultReportName('', d), 'clients-2025-03-04.csv');
    assert.equal(validateServerUrl('http://127.0.0.1:8080'), undefined);
    assert.ok(validateServerUrl('ftp://x'));
    assert.ok(validateServerUrl('not a url'));
  });
});
