// Server-sent events: what changed, coalesced so thousands of check-ins do not flood a console.
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server';
import { checkinBody, client } from '../helpers/http';

interface Sse { events: Array<{ type: string; data: any }>; close(): void; waitFor(pred: (e: { type: string; data: any }) => boolean, ms?: number): Promise<{ type: string; data: any }> }

async function subscribe(url: string, token: string): Promise<Sse> {
  const ac = new AbortController();
  const res = await fetch(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: ac.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const events: Sse['events'] = [];
  const waiters: Array<() => void> = [];
  void (async () => {
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += Buffer.from(chunk).toString('utf8');
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const type = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (type && data) { events.push({ type, data: JSON.parse(data) }); waiters.splice(0).forEach((w) => w()); }
        }
      }
    } catch { /* aborted */ }
  })();
  return {
    events,
    close: () => ac.abort(),
    async waitFor(pred, ms = 5000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const hit = events.find(pred);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no such event; got ${JSON.stringify(events.map((e) => e.type))}`);
        await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 100); });
      }
    },
  };
}

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
      const r = await admin.post('/api/v1/releases', { version: '5.0.0' });
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
      const agent = client(s.url, s.enrollToken);
      const N = 400;
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
});
