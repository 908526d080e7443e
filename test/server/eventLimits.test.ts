// Event stream bounds (issue 9): 1,500 streams from one token were all accepted, and a subscriber that stops
// reading kept every later event in the server's memory. Real sockets that connect and never read.
import assert from 'node:assert/strict';
import { openRaw, type RawSocket } from '../helpers/rawSocket';
import { startTestServer, type TestServer } from '../helpers/server';
import { call } from '../helpers/http';
import { subscribe } from '../helpers/sse';

async function until(pred: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function openStream(port: number, token: string): Promise<RawSocket> {
  return openRaw(port, { read: false }).then((raw) => {
    raw.write(`GET /api/v1/events HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`);
    return raw;
  });
}

describe('event stream limits', function () {
  this.timeout(60_000);
  let s: TestServer;
  const held: RawSocket[] = [];
  before(async () => {
    s = await startTestServer({ server: { streams: { maxSubscribersPerToken: 3, maxSubscribers: 5, maxBufferedBytes: 512 * 1024 } } });
  });
  afterEach(async () => {
    held.splice(0).forEach((h) => h.destroy());
    await until(() => s.server.events.subscriberCount === 0, 'streams closed');
  });
  after(async () => s.close());

  it('caps the streams of one token (429) and of the server (503), in the error shape', async () => {
    for (let i = 0; i < 3; i++) held.push(await openStream(s.server.port, s.adminToken));
    await until(() => s.server.events.subscriberCount === 3, 'three streams admitted');
    const fourth = await call(s.url, 'GET', '/api/v1/events', { token: s.adminToken });
    assert.equal(fourth.status, 429);
    assert.equal(fourth.body.error.code, 'too-many-streams');
    assert.match(fourth.body.error.message, /token/);

    const viewer = (await call(s.url, 'POST', '/api/v1/tokens', { token: s.adminToken, json: { name: 'wall', role: 'viewer' } })).body.token as string;
    for (let i = 0; i < 2; i++) held.push(await openStream(s.server.port, viewer));
    await until(() => s.server.events.subscriberCount === 5, 'five streams admitted');
    const sixth = await call(s.url, 'GET', '/api/v1/events', { token: viewer });
    assert.equal(sixth.status, 503);
    assert.equal(sixth.body.error.code, 'streams-full');

    // A closed stream frees its place.
    held.shift()!.destroy();
    await until(() => s.server.events.subscriberCount === 4, 'one stream closed');
    const again = await subscribe(s.url, s.adminToken);
    again.close();
  });

  it('drops a subscriber that stopped reading; one that reads keeps its stream', async () => {
    const reader = await subscribe(s.url, s.adminToken);
    held.push(await openStream(s.server.port, s.adminToken));
    await until(() => s.server.events.subscriberCount === 2, 'both subscribed');
    const notes = 'x'.repeat(100);
    let round = 0;
    // Each flush writes ~200 KB to every subscriber: the kernel's buffers fill, then the server's own would grow.
    while (s.server.events.subscriberCount === 2) {
      assert.ok(round < 1_000, 'the subscriber that never reads was not dropped');
      for (let i = 0; i < 1_000; i++) s.server.events.publish({ type: 'release', releaseId: `r-${round}-${i}`, version: `${round}.${i}.0-${notes}`, state: 'pending' });
      await s.server.events.flush();
      // The reading subscriber takes each round before the next: it never falls behind, whatever the machine's load.
      const last = `r-${round}-999`;
      if (s.server.events.subscriberCount === 2) await reader.waitFor((e) => e.type === 'release' && e.data.releaseId === last, 30_000);
      round++;
    }
    assert.equal(s.server.events.subscriberCount, 1);
    s.server.events.publish({ type: 'group', groupId: 'g-after' });
    await s.server.events.flush();
    await reader.waitFor((e) => e.type === 'group' && e.data.groupId === 'g-after', 30_000);
    reader.close();
  });
});
