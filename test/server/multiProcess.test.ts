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
});
