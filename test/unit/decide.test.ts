import assert from 'node:assert/strict';
import { decide, inRollout, MIN_OUTCOMES_FOR_HALT, toCheckinResponse, type DecisionAction, type FleetFacts, type Policy, type ReasonCode, type Release } from '../../src/core';
import { noFacts, policy, release } from './fixtures';

const NOON_UTC = new Date('2026-11-24T12:00:00Z');
const catalog: Release[] = [
  release('1.2.2', 'retired'),
  release('3.59.127.0', 'approved'),
  release('3.59.228.0', 'pending'),
  release('4.0.0-beta.1', 'approved', { channel: 'beta' }),
];

interface Row {
  seed: string;
  rule: string;
  client: string;
  policy: Partial<Policy>;
  releases?: Release[];
  now?: Date;
  facts?: FleetFacts;
  deferredUntil?: string;
  clientId?: string;
  want: DecisionAction;
  target?: string;
  reason: ReasonCode;
}

const rows: Row[] = [
  // seed 001: No Upgrade / Auto Upgrade / Only upgrade to X
  { seed: '001', rule: 'No Upgrade prevents all clients from upgrading', client: '3.59.0.0', policy: { mode: 'none' }, want: 'none', reason: 'policy-no-upgrade' },
  { seed: '001', rule: 'Auto Upgrade goes to the newest approved version', client: '3.59.0.0', policy: { mode: 'auto' }, want: 'offer', target: '3.59.127.0', reason: 'upgrade-available' },
  { seed: '001', rule: 'Only upgrade to the locked version', client: '3.59.0.0', policy: { mode: 'pinned', pinnedVersion: '3.59.127.0' }, want: 'offer', target: '3.59.127.0', reason: 'pinned-version' },
  { seed: '001', rule: 'a locked version that is not approved gives nothing', client: '3.59.0.0', policy: { mode: 'pinned', pinnedVersion: '3.59.228.0' }, want: 'none', reason: 'pinned-version-not-approved' },
  { seed: '001', rule: 'a locked version that does not exist gives nothing', client: '3.59.0.0', policy: { mode: 'pinned', pinnedVersion: '9.9.9' }, want: 'none', reason: 'pinned-version-not-approved' },
  { seed: '001', rule: 'a client newer than the target stays without Allow Client Downgrade', client: '3.60.0.0', policy: { mode: 'auto' }, want: 'none', target: '3.59.127.0', reason: 'downgrade-not-allowed' },
  { seed: '001', rule: 'Allow Client Downgrade takes a newer client down to the target', client: '3.60.0.0', policy: { mode: 'auto', allowDowngrade: true }, want: 'downgrade', target: '3.59.127.0', reason: 'downgrade-allowed' },
  { seed: '001', rule: 'distribution time range: outside the window nothing is distributed', client: '3.59.0.0', policy: { mode: 'auto', window: { start: '22:00', end: '06:00', timeZone: 'UTC' } }, want: 'none', target: '3.59.127.0', reason: 'outside-window' },
  { seed: '001', rule: 'distribution time range: inside a window that crosses midnight', client: '3.59.0.0', now: new Date('2026-11-24T23:30:00Z'), policy: { mode: 'auto', window: { start: '22:00', end: '06:00', timeZone: 'UTC' } }, want: 'offer', target: '3.59.127.0', reason: 'upgrade-available' },
  { seed: '001', rule: 'distribution time range: evaluated in the window\'s time zone', client: '3.59.0.0', policy: { mode: 'auto', window: { start: '12:30', end: '14:00', timeZone: 'Europe/Berlin' } }, want: 'offer', reason: 'upgrade-available' },
  { seed: '001', rule: 'downgrades also wait for the window', client: '3.60.0.0', policy: { mode: 'auto', allowDowngrade: true, window: { start: '01:00', end: '02:00', timeZone: 'UTC' } }, want: 'none', reason: 'outside-window' },
  // seed 000: approval, beta, force vs on-demand, minimum auto-upgrade version, rollback
  { seed: '000', rule: 'a pending ("download, test, then approve") release is never distributed', client: '3.59.127.0', policy: { mode: 'auto' }, want: 'none', target: '3.59.127.0', reason: 'up-to-date' },
  { seed: '000', rule: 'nothing approved: nothing offered', client: '3.59.0.0', policy: { mode: 'auto' }, releases: [release('3.59.228.0', 'pending')], want: 'none', reason: 'no-approved-release' },
  { seed: '000', rule: 'beta releases only go to groups on the beta channel', client: '3.59.127.0', policy: { mode: 'auto', channel: 'beta' }, want: 'offer', target: '4.0.0-beta.1', reason: 'upgrade-available' },
  { seed: '000', rule: 'a pinned beta is refused for a stable group', client: '3.59.127.0', policy: { mode: 'pinned', pinnedVersion: '4.0.0-beta.1' }, want: 'none', reason: 'pinned-version-not-approved' },
  { seed: '000', rule: 'Force upgrade installs without asking', client: '3.59.0.0', policy: { mode: 'auto', delivery: 'forced' }, want: 'force', target: '3.59.127.0', reason: 'forced-by-policy' },
  { seed: '000', rule: 'On Demand lets the user choose', client: '3.59.0.0', policy: { mode: 'auto', delivery: 'on-demand' }, want: 'offer', reason: 'upgrade-available' },
  { seed: '000', rule: 'a mandatory release is forced even on demand', client: '3.59.0.0', policy: { mode: 'auto' }, releases: [release('3.59.127.0', 'approved', { mandatory: true })], want: 'force', reason: 'mandatory-release' },
  { seed: '000', rule: '"remind me in N days" holds the offer until then', client: '3.59.0.0', deferredUntil: '2026-11-27T12:00:00Z', policy: { mode: 'auto' }, want: 'none', reason: 'deferred-until' },
  { seed: '000', rule: 'a deferral that has passed offers again', client: '3.59.0.0', deferredUntil: '2026-11-20T12:00:00Z', policy: { mode: 'auto' }, want: 'offer', reason: 'upgrade-available' },
  { seed: '000', rule: 'a deferral does not hold a forced upgrade', client: '3.59.0.0', deferredUntil: '2026-11-27T12:00:00Z', policy: { mode: 'auto', delivery: 'forced' }, want: 'force', reason: 'forced-by-policy' },
  { seed: '000', rule: 'versions up to 1.2.2 cannot auto-upgrade: manual install required', client: '1.2.2', policy: { mode: 'auto' }, facts: { outcomesByRelease: {}, minimumAutoUpgradeVersion: '1.2.3' }, want: 'manual', target: '3.59.127.0', reason: 'manual-install-required' },
  { seed: '000', rule: 'the minimum is fleet-wide: a forced group does not force a 1.2.2 client either', client: '1.2.2', policy: { mode: 'auto', delivery: 'forced', channel: 'beta' }, facts: { outcomesByRelease: {}, minimumAutoUpgradeVersion: '1.2.3' }, want: 'manual', target: '4.0.0-beta.1', reason: 'manual-install-required' },
  { seed: '000', rule: 'versions later than 1.2.2 upgrade automatically', client: '1.2.3', policy: { mode: 'auto' }, facts: { outcomesByRelease: {}, minimumAutoUpgradeVersion: '1.2.3' }, want: 'offer', reason: 'upgrade-available' },
  { seed: '000', rule: 'clients on a rolled-back release go to the highest approved version below it, even without Allow Downgrade', client: '3.59.228.0', policy: { mode: 'auto' }, releases: [release('3.59.127.0', 'approved'), release('3.59.228.0', 'revoked')], want: 'downgrade', target: '3.59.127.0', reason: 'rollback' },
  { seed: '000', rule: 'rollback needs the previous version approved', client: '3.59.228.0', policy: { mode: 'auto' }, releases: [release('3.59.127.0', 'retired'), release('3.59.228.0', 'revoked')], want: 'none', reason: 'rollback-target-not-approved' },
  { seed: '000', rule: 'a newer approved fix beats a rollback', client: '3.59.228.0', policy: { mode: 'auto' }, releases: [release('3.59.127.0', 'approved'), release('3.59.228.0', 'revoked'), release('3.59.229.0', 'approved')], want: 'offer', target: '3.59.229.0', reason: 'upgrade-available' },
  { seed: '000', rule: 'a retired ("no longer supported") release is not distributed', client: '1.0.0', policy: { mode: 'pinned', pinnedVersion: '1.2.2' }, want: 'none', reason: 'pinned-version-not-approved' },
  // seed 003: build-number compare
  { seed: '003', rule: 'same build number: no prompt', client: '60000', policy: { mode: 'auto' }, releases: [release('60000', 'approved')], want: 'none', reason: 'up-to-date' },
  { seed: '003', rule: 'different build number: prompt', client: '59000', policy: { mode: 'auto' }, releases: [release('60000', 'approved')], want: 'offer', target: '60000', reason: 'upgrade-available' },
  // seed 002: leading zeros
  { seed: '002', rule: 'version_info 3.1.019 is newer than an installed 3.1.018', client: '3.1.018', policy: { mode: 'auto' }, releases: [release('3.1.019', 'approved')], want: 'offer', reason: 'upgrade-available' },
  // rollout safety
  { seed: 'rollout', rule: 'rollout 0% reaches nobody', client: '3.59.0.0', policy: { mode: 'auto', rolloutPercent: 0 }, want: 'none', reason: 'not-in-rollout' },
  { seed: 'rollout', rule: 'failures above the threshold halt the rollout', client: '3.59.0.0', policy: { mode: 'auto', failureThresholdPercent: 20 }, facts: { outcomesByRelease: { 'rel-3.59.127.0': { attempted: 10, failed: 3 } } }, want: 'none', reason: 'rollout-halted' },
  { seed: 'rollout', rule: 'failures at the threshold do not halt', client: '3.59.0.0', policy: { mode: 'auto', failureThresholdPercent: 30 }, facts: { outcomesByRelease: { 'rel-3.59.127.0': { attempted: 10, failed: 3 } } }, want: 'offer', reason: 'upgrade-available' },
  { seed: 'rollout', rule: `fewer than ${MIN_OUTCOMES_FOR_HALT} outcomes never halt`, client: '3.59.0.0', policy: { mode: 'auto', failureThresholdPercent: 0 }, facts: { outcomesByRelease: { 'rel-3.59.127.0': { attempted: MIN_OUTCOMES_FOR_HALT - 1, failed: 4 } } }, want: 'offer', reason: 'upgrade-available' },
  { seed: 'input', rule: 'a client with a version this server cannot read gets nothing, with the reason', client: 'banana', policy: { mode: 'auto' }, want: 'none', reason: 'invalid-client-version' },
];

describe('core/decide (table-driven, one row per seed rule)', () => {
  for (const r of rows) {
    it(`seed ${r.seed}: ${r.rule}`, () => {
      const d = decide({ id: r.clientId ?? 'client-1', version: r.client, deferredUntil: r.deferredUntil }, policy(r.policy), r.releases ?? catalog, r.now ?? NOON_UTC, r.facts ?? noFacts);
      assert.equal(d.action, r.want, d.message);
      assert.equal(d.reason, r.reason, d.message);
      if (r.target) assert.equal(d.release?.version, r.target);
      assert.ok(d.message.length > 10, 'a reason a person can read');
    });
  }

  it('outside-window names the next window start', () => {
    const d = decide({ id: 'c', version: '3.59.0.0' }, policy({ mode: 'auto', window: { start: '22:00', end: '06:00', timeZone: 'UTC' } }), catalog, NOON_UTC, noFacts);
    assert.equal(d.notBefore, '2026-11-24T22:00:00.000Z');
  });

  it('rollout membership is stable and close to the percentage', () => {
    let inCount = 0;
    for (let i = 0; i < 10_000; i++) {
      const a = inRollout(`client-${i}`, 'rel-x', 25);
      assert.equal(inRollout(`client-${i}`, 'rel-x', 25), a, 'same client, same answer');
      if (a) inCount++;
      if (a) assert.equal(inRollout(`client-${i}`, 'rel-x', 50), true, 'widening a rollout keeps its clients');
    }
    assert.ok(inCount > 2_200 && inCount < 2_800, `25% of 10000 ≈ ${inCount}`);
  });

  it('the check-in response carries what the agent needs', () => {
    const p = policy({ mode: 'auto', checkIntervalSeconds: 3600 });
    const res = toCheckinResponse(decide({ id: 'c', version: '3.59.0.0' }, p, catalog, NOON_UTC, noFacts), p, NOON_UTC);
    assert.deepEqual(res, {
      action: 'offer', reason: 'upgrade-available', message: res.message, nextCheckSeconds: 3600, startupDelaySeconds: 300,
      version: '3.59.127.0', mandatory: false, url: 'http://x/agent/v1/artifacts/3.59.127.0', sha256: 'a'.repeat(64), size: 10,
      delivery: 'on-demand', remindOptionsDays: [1, 3, 7],
    });
  });

  it('the next check comes when the window opens, if sooner than the interval', () => {
    const p = policy({ mode: 'auto', window: { start: '13:00', end: '14:00', timeZone: 'UTC' } });
    const res = toCheckinResponse(decide({ id: 'c', version: '3.59.0.0' }, p, catalog, NOON_UTC, noFacts), p, NOON_UTC);
    assert.equal(res.action, 'none');
    assert.equal(res.nextCheckSeconds, 3600);
    assert.equal(res.version, '3.59.127.0');
    assert.equal(res.url, undefined, 'nothing to download yet');
  });
});
