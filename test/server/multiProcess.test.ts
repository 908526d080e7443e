// Several server processes on one PostgreSQL database (DESIGN.md "Scale"): a console connected to one process
// sees what was changed through another, live. Runs in the PostgreSQL pass of the server suite.
import assert from 'node:assert/strict';
import { POSTGRES_URL, startTestServer, type TestServer } from '../helpers/server';
import { checkinBody, client } from '../helpers/http';

async function readEvents(url: string, token: string, into: Array<{ type: string; data: any }>, signal: AbortSignal): Promise<void> {
  const res = await fetch(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${token}` }, signal });
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
          if (type && data) into.push({ type, data: JSON.parse(data) });
        }
      }
    } catch { /* aborted */ }
  })();
}

async function until<T>(f: () => T | undefined, what: string): Promise<T> {
  const end = Date.now() + 10_000;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

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
    const seen: Array<{ type: string; data: any }> = [];
    const ac = new AbortController();
    await readEvents(a.url, a.adminToken, seen, ac.signal);
    try {
      const adminA = client(a.url, a.adminToken);
      const adminB = client(b.url, b.adminToken);
      await adminA.put('/api/v1/groups/default/policy', { ...(await adminA.get('/api/v1/groups/default/policy')).body, mode: 'auto' });
      assert.equal((await adminB.post('/api/v1/releases', { version: '2.0.0' })).status, 201);
      await adminB.post('/api/v1/releases/2.0.0/approve');
      await until(() => seen.find((e) => e.type === 'release' && e.data.version === '2.0.0' && e.data.state === 'approved'), 'the approval made through B, on A');
      // A's release cache was dropped by the message: its check-in offers 2.0.0 now, not in 2 s.
      const c = await client(a.url, a.enrollToken).post('/agent/v1/checkin', checkinBody('pc-1', '1.0.0'));
      assert.equal(c.body.action, 'offer');
      assert.equal(c.body.version, '2.0.0');
      // Client changes through B arrive at A coalesced, with A's summary.
      const agentB = client(b.url, b.enrollToken);
      await Promise.all(Array.from({ length: 50 }, (_, i) => agentB.post('/agent/v1/checkin', checkinBody(`b-${i}`, '2.0.0'))));
      await until(() => seen.find((e) => e.type === 'summary' && e.data.summary.total === 51), 'a summary counting the clients that checked in through B');
      const changed = seen.filter((e) => e.type === 'clients').reduce((n, e) => n + e.data.changed, 0);
      assert.ok(changed >= 50, `${changed} changes seen`);
    } finally {
      ac.abort();
    }
  });
});
