// Rollouts you can see and steer (issue 11), against a real server and database: the halt recorded as a state of its
// own (audit entry, event, the release's rollout view), Pause / Resume with what the resume resets, a ring promoting
// a release by itself once the clock has moved, and a rollback to the version the clients came from.
import assert from 'node:assert/strict';
import { POSTGRES_URL, startTestServer, type TestServer } from '../helpers/server';
import { checkinBody, client, enrolledAgent } from '../helpers/http';
import { subscribe } from '../helpers/sse';
import { until } from '../helpers/poll';

const pkg = (v: string) => ({ version: v, url: `https://packages.example/${v}.tar.gz`, sha256: 'b'.repeat(64), size: 10 });

async function release(admin: ReturnType<typeof client>, version: string, approve = true): Promise<void> {
  assert.equal((await admin.post('/api/v1/releases', pkg(version))).status, 201);
  if (approve) assert.equal((await admin.post(`/api/v1/releases/${version}/approve`, {})).status, 200);
}

/** A client seen on `version`, then moved to `group` (check-ins land in the default group first). */
async function clientIn(s: TestServer, id: string, version: string, group: string): Promise<void> {
  const agent = enrolledAgent(s.url, s.enrollToken, { admitWith: s.adminToken });
  assert.equal((await agent.post('/agent/v1/checkin', checkinBody(id, version))).status, 200);
  assert.equal((await client(s.url, s.adminToken).patch(`/api/v1/clients/${id}`, { groupId: group })).status, 200);
}

describe(`rollouts: halt, pause, resume, rings, rollback origin (real server, ${POSTGRES_URL ? 'PostgreSQL' : 'real SQLite file'})`, function () {
  this.timeout(60_000);

  it('a failure rate above the threshold halts the rollout: recorded, audited, announced; Resume resets the failure count', async () => {
    const s = await startTestServer();
    const sse = await subscribe(s.url, s.adminToken);
    try {
      const admin = client(s.url, s.adminToken);
      const agent = enrolledAgent(s.url, s.enrollToken, { admitWith: s.adminToken });
      await release(admin, '6.0.0');
      assert.equal((await admin.post('/api/v1/groups', { name: 'Pilot', policy: { mode: 'auto', delivery: 'forced', failureThresholdPercent: 20 } })).status, 201);
      for (let i = 0; i < 10; i++) await clientIn(s, `p${i}`, '5.0.0', 'pilot');
      for (let i = 0; i < 10; i++) assert.equal((await agent.post('/agent/v1/checkin', checkinBody(`p${i}`, '5.0.0'))).body.action, 'force');
      // 4 installed, 3 failed: 3 of 7 finished attempts (42.9%) failed, above 20%.
      for (let i = 0; i < 4; i++) await agent.post('/agent/v1/checkin', checkinBody(`p${i}`, '6.0.0'));
      for (let i = 4; i < 7; i++) assert.equal((await agent.post('/agent/v1/report', { clientId: `p${i}`, state: 'failed', targetVersion: '6.0.0', reason: 'Checksum mismatch' })).status, 200);
      await s.server.fleet.rollouts.evaluate();

      const halted = await sse.waitFor((e) => e.type === 'rollout' && e.data.change === 'halted');
      assert.equal(halted.data.version, '6.0.0');
      assert.equal(halted.data.groupName, 'Pilot');
      assert.equal(halted.data.by, 'server');
      assert.match(halted.data.reason, /42\.9% of clients failed \(3 of 7\), above the 20% threshold/);
      const view = (await admin.get('/api/v1/releases/6.0.0')).body;
      assert.equal(view.state, 'approved', 'the release stays approved; its rollout is what halted');
      const pilot = view.rollouts.find((r: { groupId: string }) => r.groupId === 'pilot');
      assert.equal(pilot.state, 'halted');
      assert.deepEqual(pilot.progress, { offered: 3, downloading: 0, installed: 4, failed: 3, waiting: 0 });
      const audit = (await admin.get('/api/v1/audit?action=rollout.halt')).body.items;
      assert.equal(audit.length, 1);
      assert.equal(audit[0].actor, 'server');
      assert.equal(audit[0].target, '6.0.0');
      const held = (await agent.post('/agent/v1/checkin', checkinBody('p8', '5.0.0'))).body;
      assert.equal(held.action, 'none');
      assert.equal(held.reason, 'rollout-halted');
      assert.match(held.message, /rollout of 6\.0\.0 is halted: 42\.9%/);
      // Evaluating again records nothing new.
      await s.server.fleet.rollouts.evaluate();
      assert.equal((await admin.get('/api/v1/audit?action=rollout.halt')).body.items.length, 1);

      // A viewer may look but not steer.
      const viewer = client(s.url, (await admin.post('/api/v1/tokens', { name: 'eve', role: 'viewer' })).body.token);
      const refused = await viewer.post('/api/v1/releases/6.0.0/resume', {});
      assert.equal(refused.status, 403);
      assert.ok(refused.body.error.message.length > 10);
      const operator = client(s.url, (await admin.post('/api/v1/tokens', { name: 'olga', role: 'operator' })).body.token);
      const resumed = await operator.post('/api/v1/releases/6.0.0/resume', { note: 'mirror fixed' });
      assert.equal(resumed.status, 200, resumed.text);
      assert.deepEqual(resumed.body.changed, [{ groupId: 'pilot', groupName: 'Pilot' }]);
      assert.match(resumed.body.message, /failure count of 6\.0\.0 starts again from zero: the 3 failed of 7 finished attempts so far no longer count/);
      const resumeAudit = (await admin.get('/api/v1/audit?action=rollout.resume')).body.items[0];
      assert.equal(resumeAudit.actor, 'olga');
      assert.deepEqual(JSON.parse(resumeAudit.details).reset, { attempted: 7, failed: 3 });
      assert.equal(JSON.parse(resumeAudit.details).note, 'mirror fixed');
      await sse.waitFor((e) => e.type === 'rollout' && e.data.change === 'resumed');
      assert.equal((await agent.post('/agent/v1/checkin', checkinBody('p8', '5.0.0'))).body.action, 'force', 'offered again');
      // The old failures alone do not halt it again.
      await s.server.fleet.rollouts.evaluate();
      assert.equal((await admin.get('/api/v1/releases/6.0.0')).body.rollouts[0].state, 'running');
      const again = await operator.post('/api/v1/releases/6.0.0/resume', {});
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'not-halted');
    } finally {
      sse.close();
      await s.close();
    }
  });

  it('Pause Rollout stops offers with its own reason until Resume; only approved releases have a rollout', async () => {
    const s = await startTestServer();
    try {
      const admin = client(s.url, s.adminToken);
      const agent = enrolledAgent(s.url, s.enrollToken, { admitWith: s.adminToken });
      await release(admin, '6.0.0');
      await release(admin, '6.1.0', false);
      await admin.post('/api/v1/groups', { name: 'Pilot', policy: { mode: 'auto', delivery: 'forced' } });
      await clientIn(s, 'p1', '5.0.0', 'pilot');
      const paused = await admin.post('/api/v1/releases/6.0.0/pause', { note: 'waiting for the vendor' });
      assert.equal(paused.status, 200, paused.text);
      assert.match(paused.body.message, /paused in Pilot/);
      const c = (await agent.post('/agent/v1/checkin', checkinBody('p1', '5.0.0'))).body;
      assert.equal(c.reason, 'rollout-paused');
      assert.match(c.message, /paused by admin: waiting for the vendor/);
      assert.equal((await admin.get('/api/v1/releases/6.0.0')).body.rollouts[0].state, 'paused');
      assert.equal((await admin.post('/api/v1/releases/6.0.0/pause', {})).body.error.code, 'already-paused');
      const pending = await admin.post('/api/v1/releases/6.1.0/pause', {});
      assert.equal(pending.status, 409);
      assert.match(pending.body.error.message, /6\.1\.0 is pending/);
      assert.equal((await admin.post('/api/v1/releases/6.0.0/pause', { groupId: 'nowhere' })).status, 422);
      assert.equal((await admin.post('/api/v1/releases/6.0.0/pause', { bogus: 1 })).status, 400);
      assert.equal((await admin.post('/api/v1/releases/6.0.0/resume', {})).status, 200);
      assert.equal((await agent.post('/agent/v1/checkin', checkinBody('p1', '5.0.0'))).body.action, 'force');
      const actions = (await admin.get('/api/v1/audit?limit=50')).body.items.map((e: { action: string }) => e.action);
      assert.ok(actions.includes('rollout.pause') && actions.includes('rollout.resume'));
    } finally {
      await s.close();
    }
  });

  it('a ring promotes the release to the next group by itself once it succeeded there for long enough', async () => {
    let clock = new Date('2026-11-24T12:00:00Z');
    const s = await startTestServer({ server: { now: () => clock } });
    const sse = await subscribe(s.url, s.adminToken);
    try {
      const admin = client(s.url, s.adminToken);
      const agent = enrolledAgent(s.url, s.enrollToken, { admitWith: s.adminToken });
      await release(admin, '5.0.0');
      await admin.post('/api/v1/groups', { name: 'Pilot', policy: { mode: 'auto', delivery: 'forced' } });
      const ring = { groupId: 'Pilot', minInstalledPercent: 80, maxFailedPercent: 10, afterHours: 24 };
      assert.equal((await admin.post('/api/v1/groups', { name: 'Office', policy: { mode: 'auto', delivery: 'forced', ring: { ...ring, groupId: 'nowhere' } } })).status, 422);
      const office = await admin.post('/api/v1/groups', { name: 'Office', policy: { mode: 'auto', delivery: 'forced', ring } });
      assert.equal(office.status, 201, office.text);
      assert.equal(office.body.policy.ring.groupId, 'pilot', 'the ring is stored by group id');
      const self = await admin.put('/api/v1/groups/office/policy', { ...office.body.policy, ring: { ...ring, groupId: 'office' } });
      assert.equal(self.status, 422);
      assert.match(self.body.error.message, /cannot be its own ring/);
      await release(admin, '6.0.0');
      for (let i = 0; i < 5; i++) await clientIn(s, `p${i}`, '5.0.0', 'pilot');
      await clientIn(s, 'o1', '5.0.0', 'office');
      // Released before the ring was set: 5.0.0 is not held; 6.0.0 waits for Pilot.
      const waiting = (await agent.post('/agent/v1/checkin', checkinBody('o1', '5.0.0'))).body;
      assert.equal(waiting.action, 'none');
      assert.equal(waiting.reason, 'up-to-date');
      const preview = (await admin.post('/api/v1/groups/office/policy/preview', office.body.policy)).body;
      assert.equal(preview.counts.force, 0, 'the preview holds it back too');
      assert.equal((await admin.get('/api/v1/releases/6.0.0')).body.rollouts.find((r: { groupId: string }) => r.groupId === 'office').heldByRing, true);

      for (let i = 0; i < 5; i++) assert.equal((await agent.post('/agent/v1/checkin', checkinBody(`p${i}`, '5.0.0'))).body.version, '6.0.0');
      for (let i = 0; i < 5; i++) await agent.post('/agent/v1/checkin', checkinBody(`p${i}`, '6.0.0'));
      await s.server.fleet.rollouts.evaluate();
      assert.equal((await agent.post('/agent/v1/checkin', checkinBody('o1', '5.0.0'))).body.action, 'none', 'not before 24 hours');
      clock = new Date('2026-11-25T13:00:00Z');
      await s.server.fleet.rollouts.evaluate();
      const promoted = await sse.waitFor((e) => e.type === 'rollout' && e.data.change === 'promoted');
      assert.equal(promoted.data.groupName, 'Office');
      assert.match(promoted.data.reason, /6\.0\.0 succeeded in Pilot: 100% installed, 0% failed, after 25 hours/);
      const audit = (await admin.get('/api/v1/audit?action=rollout.promote')).body.items;
      assert.equal(audit.length, 1);
      assert.equal(audit[0].actor, 'server');
      const now = (await agent.post('/agent/v1/checkin', checkinBody('o1', '5.0.0'))).body;
      assert.equal(now.action, 'force');
      assert.equal(now.version, '6.0.0');
    } finally {
      sse.close();
      await s.close();
    }
  });

  it('a rollback goes back to where the clients came from, and asks before reviving a retired version', async () => {
    const s = await startTestServer();
    try {
      const admin = client(s.url, s.adminToken);
      const agent = enrolledAgent(s.url, s.enrollToken, { admitWith: s.adminToken });
      for (const v of ['3.58.0.0', '3.59.0.0', '3.59.127.0', '3.59.228.0']) await release(admin, v);
      // Five clients came from 3.58.0.0, one from 3.59.0.0 (their history says so).
      for (let i = 0; i < 5; i++) await agent.post('/agent/v1/checkin', checkinBody(`a${i}`, '3.58.0.0'));
      await agent.post('/agent/v1/checkin', checkinBody('b0', '3.59.0.0'));
      for (const id of ['a0', 'a1', 'a2', 'a3', 'a4', 'b0']) await agent.post('/agent/v1/checkin', checkinBody(id, '3.59.228.0'));
      assert.equal((await admin.post('/api/v1/releases/3.58.0.0/retire', {})).status, 200);
      assert.equal((await admin.post('/api/v1/releases/3.59.127.0/revoke', {})).status, 200);

      const plan = (await admin.post('/api/v1/releases/3.59.228.0/rollback', { dryRun: true })).body;
      assert.equal(plan.targetVersion, '3.58.0.0');
      assert.equal(plan.targetState, 'retired');
      assert.equal(plan.revivesRetired, true);
      assert.equal(plan.basis, 'history');
      assert.equal(plan.originClients, 5);
      assert.equal(plan.affectedClients, 6);
      const refused = await admin.post('/api/v1/releases/3.59.228.0/rollback', { approveTarget: true });
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error.code, 'rollback-target-retired');
      assert.match(refused.body.error.message, /3\.58\.0\.0.*retired \(no longer supported\)/);
      assert.equal((await admin.get('/api/v1/releases/3.59.228.0')).body.state, 'approved', 'nothing changed');
      const done = await admin.post('/api/v1/releases/3.59.228.0/rollback', { approveTarget: true, reviveRetired: true, note: 'crashes' });
      assert.equal(done.status, 200, done.text);
      assert.equal(done.body.targetVersion, '3.58.0.0');
      assert.equal((await admin.get('/api/v1/releases/3.58.0.0')).body.state, 'approved');
      // Back to 3.58.0.0, where they came from — not 3.59.0.0, the highest approved below.
      const c = await until(async () => {
        const r = (await agent.post('/agent/v1/checkin', checkinBody('a0', '3.59.228.0'))).body;
        return r.action === 'downgrade' ? r : undefined;
      }, 'the rollback decision');
      assert.equal(c.version, '3.58.0.0');
      const audit = JSON.parse((await admin.get('/api/v1/audit?action=release.rollback')).body.items[0].details);
      assert.equal(audit.basis, 'history');
      assert.equal(audit.revivedRetired, true);
    } finally {
      await s.close();
    }
  });
});
