import assert from 'node:assert/strict';
import {
  decide, MIN_OUTCOMES_FOR_HALT, ringVerdict, rolloutHalt, rolloutProgress, rolloutSteps, validatePolicy,
  type ClientState, type Group, type Outcomes, type RolloutRecord,
} from '../../src/core';
import { policy, release } from './fixtures';

const NOW = new Date('2026-11-24T12:00:00Z');

function record(extra: Partial<RolloutRecord> = {}): RolloutRecord {
  return { releaseId: 'rel-6.0.0', groupId: 'pilot', state: 'running', reason: null, at: '2026-11-24T10:00:00Z', by: 'server', baseAttempted: 0, baseFailed: 0, promotedAt: null, ...extra };
}

describe('core/rollout: the halt rule', () => {
  const rows: Array<{ rule: string; threshold: number; outcomes?: Outcomes; record?: RolloutRecord; want: false | 'halted' | 'paused' }> = [
    { rule: 'no outcomes: runs', threshold: 20, want: false },
    { rule: `fewer than ${MIN_OUTCOMES_FOR_HALT} outcomes never halt`, threshold: 0, outcomes: { attempted: MIN_OUTCOMES_FOR_HALT - 1, failed: 4 }, want: false },
    { rule: 'above the threshold halts', threshold: 20, outcomes: { attempted: 20, failed: 6 }, want: 'halted' },
    { rule: 'at the threshold runs', threshold: 30, outcomes: { attempted: 20, failed: 6 }, want: false },
    { rule: 'a recorded halt holds even when the rate fell back', threshold: 20, outcomes: { attempted: 100, failed: 6 }, record: record({ state: 'halted', reason: '30% failed' }), want: 'halted' },
    { rule: 'a pause holds whatever the rate', threshold: 100, record: record({ state: 'paused' }), want: 'paused' },
    { rule: 'a resume resets the count: the failures before it no longer count', threshold: 20, outcomes: { attempted: 24, failed: 6 }, record: record({ baseAttempted: 20, baseFailed: 6 }), want: false },
    { rule: 'after a resume, new failures above the threshold halt again', threshold: 20, outcomes: { attempted: 26, failed: 9 }, record: record({ baseAttempted: 20, baseFailed: 6 }), want: 'halted' },
    { rule: 'after a resume, fewer than the minimum new outcomes never halt', threshold: 0, outcomes: { attempted: 23, failed: 9 }, record: record({ baseAttempted: 20, baseFailed: 6 }), want: false },
  ];
  for (const r of rows) {
    it(r.rule, () => {
      const h = rolloutHalt({ version: '6.0.0' }, r.threshold, r.outcomes, r.record);
      assert.equal(h.halted ? h.state : false, r.want);
      if (h.halted) assert.match(h.message, /rollout of 6\.0\.0 is (halted|paused)/);
    });
  }
  it('the halt message names the rate, the counts and the threshold', () => {
    const h = rolloutHalt({ version: '6.0.0' }, 20, { attempted: 20, failed: 6 }, undefined);
    assert.ok(h.halted);
    if (h.halted) assert.equal(h.message, 'The rollout of 6.0.0 is halted: 30% of clients failed (6 of 20), above the 20% threshold.');
  });
});

type Row = { groupId: string; version: string; state: ClientState; targetVersion: string | null; count: number };
const row = (groupId: string, version: string, state: ClientState, targetVersion: string | null, count: number): Row => ({ groupId, version, state, targetVersion, count });

describe('core/rollout: progress per release and group, from the counts', () => {
  const rows: Row[] = [
    row('pilot', '6.0.0', 'up-to-date', '6.0.0', 5),
    row('pilot', '5.0.0', 'installed-pending-restart', '6.0.0', 1),
    row('pilot', '5.0.0', 'available', '6.0.0', 2),
    row('pilot', '5.0.0', 'deferred', '6.0.0', 1),
    row('pilot', '5.0.0', 'downloading', '6.0.0', 3),
    row('pilot', '5.0.0', 'staged', '6.0.0', 1),
    row('pilot', '5.0.0', 'failed', '6.0.0', 4),
    row('pilot', '5.0.0', 'up-to-date', '6.0.0', 6), // not in the rollout share yet
    row('pilot', '5.0.0', 'up-to-date', '5.0.0', 9), // another target: not this rollout
    row('office', '5.0.0', 'failed', '6.0.0', 7), // another group
  ];
  it('counts each client once, by its state towards the release', () => {
    assert.deepEqual(rolloutProgress(rows, '6.0.0', 'pilot'), { offered: 3, downloading: 4, installed: 6, failed: 4, waiting: 6 });
    assert.deepEqual(rolloutProgress(rows, '6.0.0', 'office'), { offered: 0, downloading: 0, installed: 0, failed: 7, waiting: 0 });
  });
});

describe('core/rings: a ring promotes a release when it succeeded in the group before', () => {
  const rule = { groupId: 'pilot', minInstalledPercent: 80, maxFailedPercent: 10, afterHours: 24 };
  const progress = (installed: number, failed: number) => ({ offered: 0, downloading: 0, installed, failed, waiting: 0 });
  const cases: Array<{ rule: string; installed: number; failed: number; total: number; startedAt: string | null; promote: boolean; says: RegExp }> = [
    { rule: 'not started in the ring group', installed: 10, failed: 0, total: 10, startedAt: null, promote: false, says: /has not reached Pilot/ },
    { rule: 'too early', installed: 10, failed: 0, total: 10, startedAt: '2026-11-24T00:00:00Z', promote: false, says: /12 of 24 hours/ },
    { rule: 'too few installed', installed: 7, failed: 0, total: 10, startedAt: '2026-11-23T00:00:00Z', promote: false, says: /70% of Pilot run 6\.0\.0; the ring needs 80%/ },
    { rule: 'too many failed', installed: 8, failed: 1, total: 10, startedAt: '2026-11-23T00:00:00Z', promote: false, says: /10% of Pilot failed/ },
    { rule: 'an empty ring group proves nothing', installed: 0, failed: 0, total: 0, startedAt: '2026-11-23T00:00:00Z', promote: false, says: /no clients/ },
    { rule: 'enough installed, few failed, long enough', installed: 9, failed: 0, total: 10, startedAt: '2026-11-23T00:00:00Z', promote: true, says: /succeeded in Pilot: 90% installed, 0% failed, after 36 hours/ },
  ];
  for (const c of cases) {
    it(c.rule, () => {
      const v = ringVerdict(rule, 'Pilot', '6.0.0', progress(c.installed, c.failed), c.total, c.startedAt, NOW);
      assert.equal(v.promote, c.promote);
      assert.match(v.message, c.says);
    });
  }
});

describe('core/decide with recorded rollouts and rings', () => {
  const catalog = [release('5.0.0', 'approved'), release('6.0.0', 'approved')];
  const ring = { groupId: 'pilot', minInstalledPercent: 80, maxFailedPercent: 10, afterHours: 24 };
  const cases: Array<{ rule: string; policy: Parameters<typeof policy>[0]; rollouts?: Record<string, RolloutRecord>; want: string; reason: string; target?: string }> = [
    { rule: 'a recorded halt stops the offer', policy: { mode: 'auto' }, rollouts: { 'rel-6.0.0': record({ state: 'halted', reason: '30% failed' }) }, want: 'none', reason: 'rollout-halted', target: '6.0.0' },
    { rule: 'a pause stops the offer, with its own reason', policy: { mode: 'auto' }, rollouts: { 'rel-6.0.0': record({ state: 'paused', by: 'ops' }) }, want: 'none', reason: 'rollout-paused', target: '6.0.0' },
    { rule: 'a ring holds an approved release back until it is promoted', policy: { mode: 'auto', ring }, rollouts: { 'rel-5.0.0': record({ releaseId: 'rel-5.0.0', promotedAt: '2026-11-01T00:00:00Z' }) }, want: 'offer', reason: 'upgrade-available', target: '5.0.0' },
    { rule: 'a promoted release is offered', policy: { mode: 'auto', ring }, rollouts: { 'rel-6.0.0': record({ promotedAt: '2026-11-24T11:00:00Z' }) }, want: 'offer', reason: 'upgrade-available', target: '6.0.0' },
    { rule: 'nothing promoted: nothing offered, and the reason names the ring', policy: { mode: 'auto', ring }, want: 'none', reason: 'no-approved-release' },
    { rule: 'a pinned version is never held by a ring', policy: { mode: 'pinned', pinnedVersion: '6.0.0', ring }, want: 'offer', reason: 'pinned-version', target: '6.0.0' },
  ];
  for (const c of cases) {
    it(c.rule, () => {
      const d = decide({ id: 'c1', version: '4.0.0' }, policy(c.policy), catalog, NOW, { outcomesByRelease: {}, ...(c.rollouts ? { rollouts: c.rollouts } : {}) });
      assert.equal(d.action, c.want, d.message);
      assert.equal(d.reason, c.reason, d.message);
      if (c.target) assert.equal(d.release?.version, c.target);
      if (c.reason === 'no-approved-release') assert.match(d.message, /waits for the ring/);
    });
  }
});

describe('core/rolloutSteps: what the server records by itself', () => {
  const approved = release('6.0.0', 'approved', { transitions: [{ from: 'pending', to: 'approved', by: 'ops', at: '2026-11-23T00:00:00Z' }] });
  const releases = [release('5.0.0', 'approved'), approved];
  const pilot: Group = { id: 'pilot', name: 'Pilot', description: '', policy: policy({ mode: 'auto', failureThresholdPercent: 20 }) };
  const office: Group = { id: 'office', name: 'Office', description: '', policy: policy({ mode: 'auto', ring: { groupId: 'pilot', minInstalledPercent: 80, maxFailedPercent: 10, afterHours: 24 } }) };
  const officeRecords = [record({ releaseId: 'rel-5.0.0', groupId: 'office', promotedAt: '2026-11-01T00:00:00Z' })];
  const cases: Array<{ rule: string; rows: Row[]; outcomes: Array<[string, Outcomes]>; records: RolloutRecord[]; want: string[] }> = [
    { rule: 'a failure rate above the threshold records a halt in that group', rows: [], outcomes: [['6.0.0', { attempted: 20, failed: 6 }]], records: officeRecords, want: ['halt 6.0.0 Pilot'] },
    { rule: 'a halt already recorded is not recorded twice', rows: [], outcomes: [['6.0.0', { attempted: 20, failed: 6 }]], records: [...officeRecords, record({ state: 'halted' })], want: [] },
    { rule: 'a paused rollout is not halted over it', rows: [], outcomes: [['6.0.0', { attempted: 20, failed: 6 }]], records: [...officeRecords, record({ state: 'paused' })], want: [] },
    { rule: 'success in the ring promotes the release to the next group', rows: [row('pilot', '6.0.0', 'up-to-date', '6.0.0', 9), row('pilot', '5.0.0', 'available', '6.0.0', 1)], outcomes: [], records: officeRecords, want: ['promote 6.0.0 Office'] },
    { rule: 'too few installed in the ring: no promotion', rows: [row('pilot', '6.0.0', 'up-to-date', '6.0.0', 5), row('pilot', '5.0.0', 'available', '6.0.0', 5)], outcomes: [], records: officeRecords, want: [] },
    { rule: 'a halted ring promotes nothing', rows: [row('pilot', '6.0.0', 'up-to-date', '6.0.0', 9), row('pilot', '5.0.0', 'failed', '6.0.0', 1)], outcomes: [], records: [...officeRecords, record({ state: 'halted' })], want: [] },
  ];
  for (const c of cases) {
    it(c.rule, () => {
      const steps = rolloutSteps({ releases, groups: [pilot, office], rows: c.rows, outcomesByVersion: new Map(c.outcomes), records: c.records, now: NOW });
      assert.deepEqual(steps.map((s) => `${s.kind} ${s.release.version} ${s.group.name}`), c.want);
    });
  }
});

describe('core/policy: the ring fields', () => {
  const base = policy({ mode: 'auto' });
  const cases: Array<{ rule: string; ring: unknown; ok: boolean; field?: string }> = [
    { rule: 'no ring', ring: null, ok: true },
    { rule: 'a full ring', ring: { groupId: 'pilot', minInstalledPercent: 90, maxFailedPercent: 5, afterHours: 24 }, ok: true },
    { rule: 'a ring without a group', ring: { groupId: ' ', minInstalledPercent: 90, maxFailedPercent: 5, afterHours: 24 }, ok: false, field: 'ring.groupId' },
    { rule: 'a percentage out of range', ring: { groupId: 'pilot', minInstalledPercent: 190, maxFailedPercent: 5, afterHours: 24 }, ok: false, field: 'ring.minInstalledPercent' },
    { rule: 'negative hours', ring: { groupId: 'pilot', minInstalledPercent: 90, maxFailedPercent: 5, afterHours: -1 }, ok: false, field: 'ring.afterHours' },
    { rule: 'not an object', ring: 'pilot', ok: false, field: 'ring' },
  ];
  for (const c of cases) {
    it(c.rule, () => {
      const v = validatePolicy({ ...base, ring: c.ring });
      assert.equal(v.ok, c.ok);
      if (!v.ok) assert.ok(v.errors.some((e) => e.field === c.field), JSON.stringify(v.errors));
    });
  }
});
