import assert from 'node:assert/strict';
import type { RolloutView } from '../../src/core/wire';
import { auditDetails, auditTitle } from '../../src/extension/auditText';
import { progressLine, resumeDetail, rolloutDescription, rolloutEventText, rolloutStateOf } from '../../src/extension/rolloutText';

const view = (state: RolloutView['state'], extra: Partial<RolloutView> = {}): RolloutView => ({
  groupId: 'pilot', groupName: 'Pilot', state, reason: null, at: null, by: null,
  progress: { offered: 2, downloading: 0, installed: 4, failed: 3, waiting: 1 }, heldByRing: false, promotedAt: null, ...extra,
});

describe('extension/rolloutText (how the console words and marks a rollout)', () => {
  const states: Array<{ rule: string; release: { state: 'approved' | 'pending'; rollouts?: RolloutView[] }; want: string | undefined }> = [
    { rule: 'a pending release has no rollout', release: { state: 'pending', rollouts: [view('halted')] }, want: undefined },
    { rule: 'no group: no rollout', release: { state: 'approved', rollouts: [] }, want: undefined },
    { rule: 'all running', release: { state: 'approved', rollouts: [view('running'), view('running')] }, want: 'running' },
    { rule: 'one halted group marks the release halted', release: { state: 'approved', rollouts: [view('running'), view('paused'), view('halted')] }, want: 'halted' },
    { rule: 'paused when none is halted', release: { state: 'approved', rollouts: [view('running'), view('paused')] }, want: 'paused' },
  ];
  for (const s of states) it(s.rule, () => assert.equal(rolloutStateOf(s.release), s.want));

  it('progress leaves zeros out but always says how many installed', () => {
    assert.equal(progressLine({ offered: 2, downloading: 0, installed: 4, failed: 3, waiting: 1 }), '4 installed · 3 failed · 2 offered · 1 waiting');
    assert.equal(progressLine({ offered: 0, downloading: 0, installed: 0, failed: 0, waiting: 0 }), '0 installed');
    assert.equal(rolloutDescription(view('halted')), 'rollout halted · 4 installed · 3 failed · 2 offered · 1 waiting');
    assert.match(rolloutDescription(view('running', { heldByRing: true })), /^waiting for its ring · /);
  });

  it('notifications and the resume dialog say what happened and what a resume resets', () => {
    assert.equal(rolloutEventText({ version: '6.0.0', groupName: 'Pilot', change: 'halted', reason: '30% of clients failed (6 of 20), above the 20% threshold', by: 'server' }),
      'The rollout of 6.0.0 is halted in Pilot: 30% of clients failed (6 of 20), above the 20% threshold.');
    assert.match(rolloutEventText({ version: '6.0.0', groupName: 'Office', change: 'promoted', reason: '6.0.0 succeeded in Pilot.', by: 'server' }), /^6\.0\.0 was promoted to Office/);
    const d = resumeDetail('6.0.0', [view('halted', { reason: '30% failed' })]);
    assert.match(d, /Pilot: halted — 30% failed/);
    assert.match(d, /resets the failure count of 6\.0\.0/);
  });
});

describe('extension/auditText: rollout entries', () => {
  const entry = (action: string, details: Record<string, unknown>) => ({ id: 1, at: '2026-11-24T12:00:00Z', actor: 'server', action, target: '6.0.0', details: JSON.stringify(details) });
  it('reads as who did what, with the group and the reason or what was reset', () => {
    assert.equal(auditTitle(entry('rollout.halt', {})), 'server halted the rollout of 6.0.0');
    assert.deepEqual(auditDetails(entry('rollout.halt', { group: 'Pilot', reason: '30% of clients failed (6 of 20), above the 20% threshold' })), ['in Pilot: 30% of clients failed (6 of 20), above the 20% threshold']);
    assert.deepEqual(auditDetails(entry('rollout.resume', { group: 'Pilot', reset: { attempted: 20, failed: 6 }, note: 'fixed' })), ['in Pilot', 'failure count reset: 6 failed of 20 attempts no longer count', 'note: fixed']);
    assert.deepEqual(auditDetails(entry('rollout.promote', { group: 'Office', ring: 'Pilot' })), ['to Office, after its ring Pilot']);
  });
});
