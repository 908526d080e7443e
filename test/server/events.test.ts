// Server-sent events: what changed, coalesced so thousands of check-ins do not flood a console.
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server';
import { checkinBody, client, enrolledAgent } from '../helpers/http';
import { subscribe } from '../helpers/sse';

describe('GET /api/v1/events (SSE)', function () {
  this.timeout(20_000);
  let s: TestServer;
  before(async () => { s = await startTestServer({ eventFlushMs: 200 }); });
  after(async () => s.close());

  it('needs a token', async () => {
    assert.equal((await fetch(`${s.url}/api/v1/events`)).status, 401);
  });

  it('sends a release event after a registration and after an approval', async () => {
    const sse = await subscribe(s.url, s.adminToken);
    try {
      const admin = client(s.url, s.adminToken);
      const r = await admin.post('/api/v1/releases', { version: '5.0.0', url: 'https://packages.example/p.tar.gz', sha256: 'ab'.repeat(32) });
      await sse.waitFor((e) => e.type === 'release' && e.data.version === '5.0.0' && e.data.state === 'pending');
      await admin.post('/api/v1/releases/5.0.0/approve');
      const e = await sse.waitFor((x) => x.type === 'release' && x.data.state === 'approved');
      assert.equal(e.data.releaseId, r.body.id);
      await admin.put('/api/v1/groups/default/policy', (await admin.get('/api/v1/groups/default/policy')).body);
      await sse.waitFor((x) => x.type === 'policy' && x.data.groupId === 'default');
    } finally {
      sse.close();
    }
  });

  it('coalesces a burst of check-ins into a few clients events with a summary', async () => {
    const sse = await subscribe(s.url, s.adminToken);
    try {
      const agent = enrolledAgent(s.url, s.enrollToken);
      const N = 400;
      // Enrolled first, so the check-ins come as one burst.
      await Promise.all(Array.from({ length: N }, (_, i) => agent.tokenFor(`burst-${i}`)));
      await Promise.all(Array.from({ length: N }, (_, i) => agent.post('/agent/v1/checkin', checkinBody(`burst-${i}`, '4.0.0'))));
      const summary = await sse.waitFor((e) => e.type === 'summary' && e.data.summary.total === N);
      assert.equal(summary.data.summary.total, N);
      const changedSoFar = () => sse.events.filter((e) => e.type === 'clients').reduce((n, e) => n + e.data.changed, 0);
      // The last few changes may ride in the flush after the summary that already counts them.
      await sse.waitFor(() => changedSoFar() === N).catch(() => assert.equal(changedSoFar(), N, 'every change is counted'));
      const clientEvents = sse.events.filter((e) => e.type === 'clients');
      assert.ok(clientEvents.length < N / 10, `${clientEvents.length} events for ${N} check-ins`);
      assert.deepEqual(clientEvents[0].data.groupIds, ['default']);
      // The same state again is not a change.
      const before = sse.events.length;
      await agent.post('/agent/v1/checkin', checkinBody('burst-1', '4.0.0'));
      await agent.post('/agent/v1/report', { clientId: 'burst-1', state: 'failed', reason: 'Disk full' });
      const failed = await sse.waitFor((e) => e.type === 'summary' && e.data.summary.failed === 1);
      assert.ok(sse.events.indexOf(failed) >= before);
    } finally {
      sse.close();
    }
  });

  it('sends the fleet summary at most once per interval, and always one after the last change', async () => {
    const t = await startTestServer({ eventFlushMs: 50, summaryEveryMs: 1000 });
    const sse = await subscribe(t.url, t.adminToken);
    try {
      const agent = enrolledAgent(t.url, t.enrollToken);
      const started = Date.now();
      let i = 0;
      while (Date.now() - started < 1500) await agent.post('/agent/v1/checkin', checkinBody(`steady-${i++}`, '4.0.0'));
      await sse.waitFor((e) => e.type === 'summary' && e.data.summary.total === i, 5000);
      const summaries = sse.events.filter((e) => e.type === 'summary');
      assert.ok(summaries.length <= 3, `${summaries.length} summaries for ${i} check-ins in 1.5 s`);
      assert.ok(sse.events.filter((e) => e.type === 'clients').length > summaries.length, 'client events are not held back');
      assert.equal(summaries[summaries.length - 1].data.summary.total, i, 'the last summary counts every client');
    } finally {
      sse.close();
      await t.close();
    }
  });
});
