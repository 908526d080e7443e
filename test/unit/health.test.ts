// Table-driven: a client's health read against its group's policy now (issue 11: health that means current).
import assert from 'node:assert/strict';
import { classifyHealth, clientHealth, healthCounts, type ClientHealth, type ClientState, type FleetFacts, type Policy, type Release, type WaitingReason } from '../../src/core';
import { noFacts, policy, release } from './fixtures';

const NOON_UTC = new Date('2026-11-24T12:00:00Z');
const catalog: Release[] = [
  release('1.2.2', 'retired'),
  release('3.58.0.0', 'retired'),
  release('3.59.127.0', 'approved'),
  release('3.59.200.0', 'revoked'),
  release('3.59.228.0', 'pending'),
];

interface Row {
  rule: string;
  version: string;
  state: ClientState;
  target?: string | null;
  policy: Partial<Policy>;
  facts?: FleetFacts;
  releases?: Release[];
  want: ClientHealth;
  waitingFor?: WaitingReason;
}

const withMin: FleetFacts = { outcomesByRelease: {}, minimumAutoUpgradeVersion: '1.2.3' };
const halted: FleetFacts = { outcomesByRelease: { 'rel-3.59.127.0': { attempted: 10, failed: 5 } } };
const night = { start: '22:00', end: '05:00', timeZone: 'UTC' };

const rows: Row[] = [
  { rule: 'on the version its policy targets: up to date', version: '3.59.127.0', state: 'up-to-date', policy: { mode: 'auto' }, want: 'up-to-date' },
  { rule: 'on the target even though the agent last said failed (an older attempt): up to date', version: '3.59.127.0', state: 'failed', policy: { mode: 'auto' }, want: 'up-to-date' },
  { rule: 'stored up-to-date on a retired version while the policy targets a newer one: behind', version: '3.58.0.0', state: 'up-to-date', target: '3.58.0.0', policy: { mode: 'auto' }, want: 'behind' },
  { rule: 'offered and not yet taken: behind', version: '3.58.0.0', state: 'available', target: '3.59.127.0', policy: { mode: 'auto' }, want: 'behind' },
  { rule: 'downloading: behind until it runs the target', version: '3.58.0.0', state: 'downloading', target: '3.59.127.0', policy: { mode: 'auto' }, want: 'behind' },
  { rule: 'not in the rollout yet: waiting (rollout)', version: '3.58.0.0', state: 'waiting', target: '3.59.127.0', policy: { mode: 'auto', rolloutPercent: 50 }, want: 'waiting', waitingFor: 'rollout' },
  { rule: 'stored waiting, but the rollout is at 100% now: behind (its next check-in takes it)', version: '3.58.0.0', state: 'waiting', target: '3.59.127.0', policy: { mode: 'auto', rolloutPercent: 100 }, want: 'behind' },
  { rule: 'outside the distribution window: waiting (window)', version: '3.58.0.0', state: 'waiting', target: '3.59.127.0', policy: { mode: 'auto', window: night }, want: 'waiting', waitingFor: 'window' },
  { rule: 'reminded later: waiting (deferral)', version: '3.58.0.0', state: 'deferred', target: '3.59.127.0', policy: { mode: 'auto' }, want: 'waiting', waitingFor: 'deferral' },
  { rule: 'a deferral does not hold a forced upgrade: behind', version: '3.58.0.0', state: 'deferred', target: '3.59.127.0', policy: { mode: 'auto', delivery: 'forced' }, want: 'behind' },
  { rule: 'a halted rollout: waiting (halted)', version: '3.58.0.0', state: 'waiting', target: '3.59.127.0', policy: { mode: 'auto', failureThresholdPercent: 20 }, facts: halted, want: 'waiting', waitingFor: 'halted' },
  { rule: 'failed at its target: failed', version: '3.58.0.0', state: 'failed', target: '3.59.127.0', policy: { mode: 'auto' }, want: 'failed' },
  { rule: 'on a revoked version: behind (it is to roll back)', version: '3.59.200.0', state: 'up-to-date', target: '3.59.200.0', policy: { mode: 'auto' }, want: 'behind' },
  { rule: 'on a revoked version under No Upgrade: behind', version: '3.59.200.0', state: 'up-to-date', policy: { mode: 'none' }, want: 'behind' },
  { rule: 'No Upgrade on an approved version: up to date (the policy keeps it there)', version: '3.59.127.0', state: 'up-to-date', policy: { mode: 'none' }, want: 'up-to-date' },
  { rule: 'No Upgrade on a retired version: behind', version: '3.58.0.0', state: 'up-to-date', policy: { mode: 'none' }, want: 'behind' },
  { rule: 'a version never registered, newer than the target, no downgrades: behind', version: '9.9.9', state: 'up-to-date', target: '3.59.127.0', policy: { mode: 'auto' }, want: 'behind' },
  { rule: 'an approved version newer than the pin, no downgrades: behind (not the version its policy targets)', version: '3.60.0.0', state: 'up-to-date', target: '3.59.127.0', policy: { mode: 'pinned', pinnedVersion: '3.59.127.0' }, releases: [...catalog, release('3.60.0.0', 'approved')], want: 'behind' },
  { rule: 'a version never registered, older: behind', version: '3.0.0', state: 'available', target: '3.59.127.0', policy: { mode: 'auto' }, want: 'behind' },
  { rule: 'a pending version (never approved) while pinned to an approved one: behind', version: '3.59.228.0', state: 'up-to-date', policy: { mode: 'pinned', pinnedVersion: '3.59.127.0', allowDowngrade: true }, want: 'behind' },
  { rule: 'seed 000: below the fleet minimum, in any group: manual install required', version: '1.2.2', state: 'manual-required', policy: { mode: 'auto', delivery: 'forced' }, facts: withMin, want: 'manual-required' },
  { rule: 'seed 000: below the minimum under No Upgrade, on a retired version: manual install required', version: '1.2.2', state: 'up-to-date', policy: { mode: 'none' }, facts: withMin, want: 'manual-required' },
  { rule: 'seed 000: without a minimum, 1.2.2 is just behind', version: '1.2.2', state: 'available', target: '3.59.127.0', policy: { mode: 'auto' }, want: 'behind' },
  { rule: 'a version the server cannot read: behind', version: 'banana', state: 'unknown', policy: { mode: 'auto' }, want: 'behind' },
];

describe('core/health (up to date only on the version the policy targets now)', () => {
  for (const r of rows) {
    it(r.rule, () => {
      const v = classifyHealth({ version: r.version, state: r.state, targetVersion: r.target ?? null }, { policy: policy(r.policy), releases: r.releases ?? catalog, now: NOON_UTC, facts: r.facts ?? noFacts });
      assert.equal(v.health, r.want, v.reason);
      assert.equal(v.waitingFor, r.waitingFor);
      assert.ok(v.reason.length > 10, 'a reason a person can read');
    });
  }

  it('not seen: no check-in for more than the days given, whatever else', () => {
    const ctx = { policy: policy({ mode: 'auto' }), releases: catalog, now: NOON_UTC, facts: noFacts };
    const c = { version: '3.59.127.0', state: 'up-to-date' as const, targetVersion: '3.59.127.0' };
    assert.equal(clientHealth({ ...c, lastSeen: '2026-11-16T11:59:59Z' }, ctx, 8).health, 'not-seen');
    assert.equal(clientHealth({ ...c, lastSeen: '2026-11-16T12:00:01Z' }, ctx, 8).health, 'up-to-date');
  });

  it('counts: the not-seen rows are taken out of the live rows, never below zero', () => {
    const ctx = { policy: policy({ mode: 'auto' }), releases: catalog, now: NOON_UTC, facts: noFacts };
    const live = [
      { groupId: 'g', version: '3.59.127.0', state: 'up-to-date' as const, targetVersion: '3.59.127.0', count: 10 },
      { groupId: 'g', version: '3.58.0.0', state: 'available' as const, targetVersion: '3.59.127.0', count: 4 },
      { groupId: 'gone', version: '3.59.127.0', state: 'up-to-date' as const, targetVersion: null, count: 2 },
    ];
    const unseen = [
      { groupId: 'g', version: '3.59.127.0', state: 'up-to-date' as const, targetVersion: '3.59.127.0', count: 3 },
      // Seen again since the count: more than the live row holds.
      { groupId: 'g', version: '3.58.0.0', state: 'available' as const, targetVersion: '3.59.127.0', count: 9 },
    ];
    const out = healthCounts(live, unseen, (id) => (id === 'g' ? ctx : undefined));
    const by = (h: ClientHealth) => out.filter((r) => r.health === h).reduce((n, r) => n + r.count, 0);
    assert.equal(by('up-to-date'), 7);
    assert.equal(by('not-seen'), 3 + 4);
    assert.equal(by('behind'), 2, 'a group that is gone counts as behind');
    assert.equal(out.reduce((n, r) => n + r.count, 0), 16, 'every client once');
  });
});
