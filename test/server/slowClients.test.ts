// Slow and greedy clients (issue 9): a body that never completes, headers that never end, a token-less request
// with a long body, too many connections. Real sockets held open against a real server; the server's timeouts are
// set small by its options, and each test checks that the server closed the connection.
import assert from 'node:assert/strict';
import { openRaw, settlesWithin } from '../helpers/rawSocket';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, enrolledAgent } from '../helpers/http';

const CLOSE_BOUND = 10_000; // far above the configured timeouts: the test fails here only if nothing closes at all

function post(path: string, headers: string[]): string {
  return [`POST ${path} HTTP/1.1`, 'Host: test', 'Content-Type: application/json', 'Content-Length: 1000', ...headers, '', ''].join('\r\n');
}

describe('slow clients are cut off', function () {
  this.timeout(30_000);

  describe('with the default timeouts', () => {
    let s: TestServer;
    before(async () => { s = await startTestServer(); });
    after(async () => s.close());

    it('refuses a request without a valid token with 401 before reading its body, and closes the connection', async () => {
      for (const auth of [[], ['Authorization: Bearer not-a-token']]) {
        const raw = await openRaw(s.server.port);
        raw.write(post('/agent/v1/checkin', auth) + '{"cli');
        assert.ok(await settlesWithin(raw.closed, CLOSE_BOUND), 'the server closed the connection without waiting for the body');
        const text = raw.received();
        assert.match(text, /^HTTP\/1\.1 401 /);
        assert.match(text, /connection: close/i);
        assert.equal(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).error.code, 'unauthorized');
      }
    });

    it('refuses an upload without a token before reading the package', async () => {
      const raw = await openRaw(s.server.port);
      raw.write(['PUT /api/v1/releases/1.0.0/artifact HTTP/1.1', 'Host: test', 'Content-Type: application/octet-stream', 'Content-Length: 100000000', '', 'abc'].join('\r\n'));
      assert.ok(await settlesWithin(raw.closed, CLOSE_BOUND));
      assert.match(raw.received(), /^HTTP\/1\.1 401 /);
    });
  });

  describe('with short timeouts', () => {
    let s: TestServer;
    before(async () => { s = await startTestServer({ server: { limits: { headersTimeoutMs: 300, requestTimeoutMs: 300, uploadIdleTimeoutMs: 300 } } }); });
    after(async () => s.close());

    it('a body that stops halfway is answered 408 in the error shape and the connection closed, token or not', async () => {
      const raw = await openRaw(s.server.port);
      const token = await enrolledAgent(s.url, s.enrollToken).tokenFor('slow-1');
      raw.write(post('/agent/v1/checkin', [`Authorization: Bearer ${token}`]) + '{"client');
      assert.ok(await settlesWithin(raw.closed, CLOSE_BOUND), 'the connection was closed');
      const text = raw.received();
      assert.match(text, /^HTTP\/1\.1 408 /);
      assert.equal(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).error.code, 'request-timeout');
    });

    it('headers that never end are cut off', async () => {
      const raw = await openRaw(s.server.port);
      raw.write('GET /api/v1/health HTTP/1.1\r\nHost: test\r\nX-Slow: ');
      assert.ok(await settlesWithin(raw.closed, CLOSE_BOUND), 'the connection was closed');
    });

    it('an upload that pauses longer than the idle timeout is cut off', async () => {
      const admin = { authorization: `Bearer ${s.adminToken}` };
      await call(s.url, 'POST', '/api/v1/releases', { json: { version: '9.0.0' }, headers: admin });
      const raw = await openRaw(s.server.port);
      raw.write(['PUT /api/v1/releases/9.0.0/artifact HTTP/1.1', 'Host: test', `Authorization: Bearer ${s.adminToken}`, 'Content-Type: application/octet-stream', 'Content-Length: 1000', '', 'abcdef'].join('\r\n'));
      assert.ok(await settlesWithin(raw.closed, CLOSE_BOUND), 'the connection was closed');
      const r = await call(s.url, 'GET', '/api/v1/releases/9.0.0', { headers: admin });
      assert.equal(r.body.artifact.sha256, undefined, 'nothing was stored');
    });

    it('a complete request answered slowly is not cut off (an event stream outlives the deadline)', async () => {
      const res = await fetch(`${s.url}/api/v1/events`, { headers: { authorization: `Bearer ${s.adminToken}` } });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      await reader.read(); // ": connected"
      await new Promise((r) => setTimeout(r, 600)); // twice the deadline
      s.server.events.publish({ type: 'group', groupId: 'g-late' });
      const next = await reader.read();
      assert.ok(!next.done, 'still open');
      await reader.cancel();
    });
  });

  describe('with a connection cap', () => {
    let s: TestServer;
    before(async () => { s = await startTestServer({ server: { limits: { maxConnections: 3 } } }); });
    after(async () => s.close());

    it('refuses connections over the cap and serves again once one closes', async () => {
      const held = await Promise.all([0, 1, 2].map(() => openRaw(s.server.port)));
      await new Promise((r) => setTimeout(r, 50)); // let the server accept them
      const extra = await openRaw(s.server.port);
      extra.write('GET /api/v1/health HTTP/1.1\r\nHost: test\r\n\r\n');
      assert.ok(await settlesWithin(extra.closed, CLOSE_BOUND), 'the fourth connection was closed');
      assert.doesNotMatch(extra.received(), /200 OK/);
      held.forEach((h) => h.destroy());
      await Promise.all(held.map((h) => h.closed));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal((await call(s.url, 'GET', '/api/v1/health')).status, 200);
    });
  });
});
