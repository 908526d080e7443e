// Several server processes on one PostgreSQL database (DESIGN.md "Scale"): a console connected to one process
// sees what was changed through another, live. Runs in the PostgreSQL pass of the server suite.
import assert from 'node:assert/strict';
import { POSTGRES_URL, startTestServer, type TestServer } from '../helpers/server';
import { checkinBody, client, enrolledAgent } from '../helpers/http';
import { subscribe } from '../helpers/sse';
import { until } from '../helpers/poll';

describe('two server processes on one PostgreSQL database', function () {
  this.timeout(30_000);
  let a: TestServer;
  let b: TestServer;
  before(async function () {
    if (!POSTGRES_URL) this.skip();
    a = await startTestServer({ eventFlushMs: 100 });
    b = await startTestServer({ eventFlushMs: 100, shareDatabaseWith: a });
  });
  after(async () => {
    await b?.close();
    await a?.close();
  });

  it('an approval through one process reaches the other process\'s event stream and caches at once', async () => {
    const sse = await subscribe(a.url, a.adminToken);
    const seen = sse.events;
    try {
      const adminA = client(a.url, a.adminToken);
      const adminB = client(b.url, b.adminToken);
      await adminA.put('/api/v1/groups/default/policy', { ...(await adminA.get('/api/v1/groups/default/policy')).body, mode: 'auto' });
      assert.equal((await adminB.post('/api/v1/releases', { version: '2.0.0', url: 'https://packages.example/p.tar.gz', sha256: 'ab'.repeat(32) })).status, 201);
      await adminB.post('/api/v1/releases/2.0.0/approve');
      await sse.waitFor((e) => e.type === 'release' && e.data.version === '2.0.0' && e.data.state === 'approved', 10_000); // made through B, seen on A
      // A's release cache was dropped by the message: its check-in offers 2.0.0 now, not in 2 s.
      const c = await enrolledAgent(a.url, a.enrollToken).post('/agent/v1/checkin', checkinBody('pc-1', '1.0.0'));
      assert.equal(c.body.action, 'offer');
      assert.equal(c.body.version, '2.0.0');
      // Client changes through B arrive at A coalesced, with A's summary.
      const agentB = enrolledAgent(b.url, b.enrollToken);
      await Promise.all(Array.from({ length: 50 }, (_, i) => agentB.post('/agent/v1/checkin', checkinBody(`b-${i}`, '2.0.0'))));
      await sse.waitFor((e) => e.type === 'summary' && e.data.summary.total === 51, 10_000); // counts the clients that checked in through B
      // The summary is exact as soon as B has written (it reads the counts table); the notices may still be arriving.
      const changed = () => seen.filter((e) => e.type === 'clients').reduce((n, e) => n + e.data.changed, 0);
      await until(() => changed() >= 50, 'notices of the 50 clients changed through B', 10_000);
    } finally {
      sse.close();
    }
  });
  it('a halt is recorded once whichever processes evaluate it, and a pause through one holds check-ins through the other', async () => {
    const adminA = client(a.url, a.adminToken);
    const adminB = client(b.url, b.adminToken);
    const agentA = enrolledAgent(a.url, a.enrollToken);
    const agentB = enrolledAgent(b.url, b.enrollToken);
    assert.equal((await adminA.post('/api/v1/releases', { version: '7.0.0', url: 'https://packages.example/7.tar.gz', sha256: 'cd'.repeat(32) })).status, 201);
    assert.equal((await adminA.post('/api/v1/releases/7.0.0/approve', {})).status, 200);
    assert.equal((await adminA.post('/api/v1/groups', { name: 'Ring 0', policy: { mode: 'pinned', pinnedVersion: '7.0.0', delivery: 'forced', failureThresholdPercent: 20 } })).status, 201);
    for (let i = 0; i < 6; i++) {
      await agentA.post('/agent/v1/checkin', checkinBody(`r0-${i}`, '6.0.0'));
      await adminA.patch(`/api/v1/clients/r0-${i}`, { groupId: 'ring-0' });
      await agentA.post('/agent/v1/checkin', checkinBody(`r0-${i}`, '6.0.0'));
    }
    await agentA.post('/agent/v1/checkin', checkinBody('r0-0', '7.0.0'));
    for (let i = 1; i < 6; i++) await agentA.post('/agent/v1/report', { clientId: `r0-${i}`, state: 'failed', targetVersion: '7.0.0', reason: 'disk full' });
    await Promise.all([a.server.fleet.rollouts.evaluate(), b.server.fleet.rollouts.evaluate(), a.server.fleet.rollouts.evaluate()]);
    // The Default group (auto, since the first test) goes to 7.0.0 too: each group's halt is recorded once.
    const halts = (await adminB.get('/api/v1/audit?action=rollout.halt')).body.items.filter((e: { target: string }) => e.target === '7.0.0');
    assert.deepEqual(halts.map((e: { details: string }) => JSON.parse(e.details).groupId).sort(), ['default', 'ring-0'], 'one audit entry per group, however many processes saw it');
    assert.equal((await adminB.post('/api/v1/releases/7.0.0/resume', {})).status, 200);
    assert.equal((await adminA.post('/api/v1/releases/7.0.0/pause', {})).status, 200);
    const held = await until(async () => {
      const r = (await agentB.post('/agent/v1/checkin', checkinBody('r0-1', '6.0.0'))).body;
      return r.reason === 'rollout-paused' ? r : undefined;
    }, 'the other process to hold check-ins for the pause');
    assert.match(held.message, /paused by admin/);
  });
});
