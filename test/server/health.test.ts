// Health that means current (issue 11), on a real server: a fleet with revoked, retired, rollout-excluded, deferred,
// outside-the-window, below-the-minimum and never-registered versions. "Up to date" counts exactly the clients on the
// version their group's policy targets; the check-in's own answers say who waits and why. SQLite, and PostgreSQL in
// the PostgreSQL pass.
import assert from 'node:assert/strict';
import type { CheckinResponse } from '../../src/core';
import { startTestServer, type TestServer } from '../helpers/server';
import { checkinBody, client, enrolledAgent } from '../helpers/http';

describe('fleet health: up to date only on the target version', function () {
  this.timeout(120_000);
  let s: TestServer;
  before(async () => { s = await startTestServer(); });
  after(async () => { await s.close(); });

  it('counts exactly the clients on their target version; the rest as waiting (with why), behind, failed, manual', async () => {
    const admin = client(s.url, s.adminToken);
    const agent = enrolledAgent(s.url, s.enrollToken, { admitWith: s.adminToken });
    const publish = async (v: string, ...steps: string[]) => {
      assert.equal((await admin.post('/api/v1/releases', { version: v })).status, 201);
      await admin.raw('PUT', `/api/v1/releases/${v}/artifact`, { body: Buffer.from(`pkg ${v}`), headers: { 'content-type': 'application/octet-stream' } });
      for (const step of steps) assert.equal((await admin.post(`/api/v1/releases/${v}/${step}`)).status, 200, `${step} ${v}`);
    };
    await publish('1.0.0', 'approve', 'retire'); // no longer supported
    await publish('2.0.0', 'approve');
    await publish('2.1.0', 'approve', 'revoke'); // rolled back
    await publish('3.0.0', 'approve'); // what Auto targets
    await publish('3.1.0'); // pending: never distributed
    // Seed 000: below 1.5.0 a client cannot upgrade itself, in any group.
    assert.equal((await admin.put('/api/v1/settings', { minimumAutoUpgradeVersion: '1.5.0' })).status, 200);
    const hour = new Date().getUTCHours();
    const hh = (h: number) => `${String(h % 24).padStart(2, '0')}:00`;
    const groups: Record<string, Record<string, unknown>> = {
      Rollout: { mode: 'auto', rolloutPercent: 50 },
      Night: { mode: 'auto', window: { start: hh(hour + 2), end: hh(hour + 3), timeZone: 'UTC' } },
      Stay: { mode: 'none' },
      Pinned: { mode: 'pinned', pinnedVersion: '2.0.0' },
    };
    for (const [name, policy] of Object.entries(groups)) assert.equal((await admin.post('/api/v1/groups', { name, policy })).status, 201);

    // [group, version, how many, extra check-in fields]
    const deferUntil = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const fleet: Array<[string, string, number, Record<string, unknown>?]> = [
      ['rollout', '3.0.0', 5], ['rollout', '2.0.0', 30], ['rollout', '1.0.0', 4], ['rollout', '2.1.0', 3], ['rollout', '9.9.9', 2],
      ['rollout', '0.9.0', 2], ['rollout', '2.0.0', 12, { state: 'deferred', deferredUntil: deferUntil }],
      ['night', '3.0.0', 3], ['night', '2.0.0', 6],
      ['stay', '2.0.0', 4], ['stay', '1.0.0', 3], ['stay', '2.1.0', 2], ['stay', '7.7.7', 1],
      ['pinned', '2.0.0', 6], ['pinned', '3.0.0', 2], ['pinned', '3.1.0', 1], ['pinned', '1.0.0', 2],
    ];
    const answers: Array<{ group: string; version: string; r: CheckinResponse }> = [];
    let n = 0;
    for (const [group, version, count, extra] of fleet) {
      for (let i = 0; i < count; i++) {
        const id = `${group}-${version}-${n++}`;
        assert.equal((await agent.post('/agent/v1/checkin', checkinBody(id, version))).status, 200);
        assert.equal((await admin.patch(`/api/v1/clients/${id}`, { groupId: group })).status, 200);
        const r = await agent.post('/agent/v1/checkin', checkinBody(id, version, extra ?? {}));
        assert.equal(r.status, 200, r.text);
        answers.push({ group, version, r: r.body as CheckinResponse });
      }
    }
    // One that failed at its target.
    const failedId = answers.findIndex((a) => a.group === 'rollout' && a.version === '2.0.0' && a.r.reason === 'upgrade-available');
    assert.ok(failedId >= 0, 'some 2.0.0 client is in the rollout');
    const failedClient = `rollout-2.0.0-${failedId}`;
    assert.equal((await agent.post('/agent/v1/report', { clientId: failedClient, state: 'failed', targetVersion: '3.0.0', reason: 'Disk full' })).status, 200);

    const target: Record<string, (v: string) => boolean> = {
      rollout: (v) => v === '3.0.0',
      night: (v) => v === '3.0.0',
      stay: (v) => v === '2.0.0' || v === '3.0.0', // No Upgrade keeps clients where they are: current only on an approved release
      pinned: (v) => v === '2.0.0', // 3.0.0 is newer than the pin, and no downgrade: not on its target
    };
    const onTarget = answers.filter((a) => target[a.group]!(a.version)).length;
    const reason = (code: string) => answers.filter((a) => a.r.reason === code).length;
    const summary = (await admin.get('/api/v1/summary')).body;
    const o = summary.overall;
    assert.equal(o.total, answers.length);
    assert.equal(o.upToDate, onTarget, JSON.stringify(o.byHealth));
    assert.equal(o.percentUpToDate, Math.round((onTarget / answers.length) * 1000) / 10);
    // Waiting, by what holds it, exactly as the check-ins told the agents.
    assert.equal(o.waitingFor.rollout, reason('not-in-rollout'));
    assert.equal(o.waitingFor.window, reason('outside-window'));
    assert.equal(o.waitingFor.deferral, reason('deferred-until'));
    assert.ok(reason('not-in-rollout') > 0 && reason('deferred-until') > 0 && reason('outside-window') === 6);
    assert.equal(o.byHealth.waiting, reason('not-in-rollout') + reason('outside-window') + reason('deferred-until'));
    // Below 1.5.0 (1.0.0, 0.9.0): a manual install, in every group.
    assert.equal(o.byHealth['manual-required'], answers.filter((a) => a.version === '1.0.0' || a.version === '0.9.0').length);
    assert.equal(o.byHealth.failed, 1);
    assert.equal(o.byHealth['not-seen'], 0);
    assert.equal(o.byHealth.behind, o.total - o.upToDate - o.byHealth.waiting - o.byHealth['manual-required'] - 1);
    // Nobody waiting is stored as up to date any more.
    assert.equal(o.byState.waiting, reason('not-in-rollout') + reason('outside-window'));
    // Per group too: the revoked, retired and never-registered versions under No Upgrade are not current.
    assert.equal(summary.byGroup.stay.upToDate, 4);
    assert.equal(summary.byGroup.pinned.upToDate, 6);
    assert.equal(summary.byGroup.night.byHealth.waiting, 6);

    // Each client in the list carries its health and why: the same rule, per client.
    const stay = (await admin.get('/api/v1/clients?group=stay&limit=50')).body.items as Array<{ version: string; state: string; health: string; healthReason: string }>;
    const retired = stay.find((c) => c.version === '1.0.0')!;
    assert.equal(retired.state, 'up-to-date', 'stored: the check-in had nothing to do under No Upgrade');
    assert.equal(retired.health, 'manual-required', retired.healthReason);
    assert.equal(stay.find((c) => c.version === '7.7.7')!.health, 'behind');
    assert.match(stay.find((c) => c.version === '7.7.7')!.healthReason, /not a registered release/);
    assert.equal(stay.find((c) => c.version === '2.0.0')!.health, 'up-to-date');
    const excluded = answers.findIndex((a) => a.r.reason === 'not-in-rollout');
    const detail = (await admin.get(`/api/v1/clients/${answers[excluded]!.group}-${answers[excluded]!.version}-${excluded}`)).body;
    assert.equal(detail.state, 'waiting');
    assert.equal(detail.health, 'waiting');
    assert.match(detail.healthReason, /rolling out to 50%/);

    // The figures follow today's policy and releases, not what was stored: once 3.0.0 is revoked, Rollout targets
    // 2.0.0 — its clients there are current, those on 3.0.0 are not, before any of them checks in again.
    assert.equal((await admin.post('/api/v1/releases/3.0.0/revoke')).status, 200);
    const after = (await admin.get('/api/v1/summary')).body.byGroup;
    // (The one that failed at 3.0.0 counts too: it runs its target now.)
    assert.equal(after.rollout.upToDate, answers.filter((a) => a.group === 'rollout' && a.version === '2.0.0').length);
    assert.equal(after.rollout.byVersion['3.0.0'], 5);
    assert.equal(after.rollout.byHealth.behind >= 5, true, 'the clients on the revoked 3.0.0 are behind (they roll back)');
    assert.equal(after.pinned.upToDate, 6, 'the pinned group still targets 2.0.0');
  });

  it('the minimum auto-upgrade version: a fleet setting, admin only, checked and audited', async () => {
    const admin = client(s.url, s.adminToken);
    assert.deepEqual((await admin.get('/api/v1/settings')).body, { minimumAutoUpgradeVersion: '1.5.0' });
    const bad = await admin.put('/api/v1/settings', { minimumAutoUpgradeVersion: 'latest' });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.error.code, 'invalid-version');
    assert.match(bad.body.error.message, /"latest" is not a version/);
    const extra = await admin.put('/api/v1/settings', { minimumAutoUpgradeVersion: '1.0.0', colour: 'blue' });
    assert.equal(extra.status, 400);
    assert.equal(typeof extra.body.error.message, 'string');
    // A policy that still carries it is told where it went.
    const policy = (await admin.get('/api/v1/groups/rollout/policy')).body;
    assert.equal('minimumAutoUpgradeVersion' in policy, false);
    const old = await admin.put('/api/v1/groups/rollout/policy', { ...policy, minimumAutoUpgradeVersion: '1.2.3' });
    assert.equal(old.status, 422);
    assert.match(old.body.error.message, /fleet-wide setting/);
    assert.equal((await admin.put('/api/v1/settings', { minimumAutoUpgradeVersion: '' })).body.minimumAutoUpgradeVersion, null, 'empty: none');
    const audit = (await admin.get('/api/v1/audit?action=settings.update')).body.items;
    assert.equal(audit[0].details, JSON.stringify({ before: '1.5.0', after: null }));
  });
});
