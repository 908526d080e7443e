// Edges from the security review (issue 9): errors Node and the router produce in the documented shape, HTTP
// Range per RFC 9110 on package downloads, and a data folder tightened to the server's own user.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRaw } from '../helpers/rawSocket';
import { startTestServer, type TestServer } from '../helpers/server';
import { call } from '../helpers/http';

async function rawRequest(port: number, request: string): Promise<{ status: number; headers: string; body: any }> {
  const raw = await openRaw(port);
  raw.write(request);
  const text = await raw.closed;
  const split = text.indexOf('\r\n\r\n');
  const body = text.slice(split + 4);
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), headers: text.slice(0, split), body: body ? JSON.parse(body) : undefined };
}

function assertShape(body: any, code: string): void {
  assert.deepEqual(Object.keys(body), ['error'], JSON.stringify(body));
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message']);
  assert.equal(body.error.code, code);
  assert.ok(body.error.message.length > 10);
}

describe('edges (security review)', function () {
  this.timeout(30_000);
  let s: TestServer;
  before(async () => { s = await startTestServer(); });
  after(async () => s.close());

  describe('errors outside the routes use the documented shape', () => {
    it('431 for headers that are too large', async () => {
      const r = await rawRequest(s.server.port, `GET /api/v1/health HTTP/1.1\r\nHost: t\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      assert.equal(r.status, 431);
      assertShape(r.body, 'headers-too-large');
    });

    it('414 for a path segment that is too long', async () => {
      const r = await rawRequest(s.server.port, `GET /api/v1/releases/${'a'.repeat(300)} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`);
      assert.equal(r.status, 414);
      assertShape(r.body, 'uri-too-long');
    });

    it('400 for a URL with bad percent-encoding, and for bytes that are not HTTP', async () => {
      const bad = await rawRequest(s.server.port, 'GET /api/v1/releases/%E0%A4%A HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
      assert.equal(bad.status, 400);
      assertShape(bad.body, 'bad-url');
      const garbage = await rawRequest(s.server.port, 'NOT HTTP AT ALL\r\n\r\n');
      assert.equal(garbage.status, 400);
      assertShape(garbage.body, 'bad-request');
    });
  });

  describe('HTTP Range on package downloads (RFC 9110)', () => {
    const bytes = Buffer.from('0123456789'.repeat(10));
    const digest = createHash('sha256').update(bytes).digest('hex');
    let url: string;
    before(async () => {
      const auth = { authorization: `Bearer ${s.adminToken}` };
      await call(s.url, 'POST', '/api/v1/releases', { json: { version: '7.0.0' }, headers: auth });
      const up = await call(s.url, 'PUT', '/api/v1/releases/7.0.0/artifact', { body: bytes, headers: { ...auth, 'content-type': 'application/octet-stream' } });
      assert.equal(up.status, 200, up.text);
      url = `${s.url}/agent/v1/artifacts/${digest}`;
    });
    const get = (headers: Record<string, string>) => fetch(url, { headers: { ...headers, authorization: `Bearer ${s.enrollToken}` } });

    it('ignores a range in an unknown unit, a malformed one and several ranges: 200 with the whole package', async () => {
      for (const range of ['items=0-5', 'bytes=5-2', 'bytes=abc', 'bytes=', 'bytes 0-5', 'bytes=0-5,10-15', 'bytes=--5']) {
        const r = await get({ range });
        assert.equal(r.status, 200, range);
        assert.equal(r.headers.get('content-range'), null, range);
        assert.deepEqual(Buffer.from(await r.arrayBuffer()), bytes, range);
      }
    });

    it('serves one byte range as 206 (unit case-insensitive), and a range wholly outside as 416', async () => {
      const r = await get({ range: 'Bytes=0-5' });
      assert.equal(r.status, 206);
      assert.equal(r.headers.get('content-range'), `bytes 0-5/${bytes.length}`);
      assert.equal(Buffer.from(await r.arrayBuffer()).toString(), '012345');
      const suffix = await get({ range: 'bytes=-3' });
      assert.equal(Buffer.from(await suffix.arrayBuffer()).toString(), '789');
      const outside = await get({ range: 'bytes=500-' });
      assert.equal(outside.status, 416);
      assert.equal(outside.headers.get('content-range'), `bytes */${bytes.length}`);
    });

    it('honours If-Range: the range only while the ETag or date still matches', async () => {
      const head = await get({});
      const etag = head.headers.get('etag')!;
      const lastModified = head.headers.get('last-modified')!;
      assert.ok(etag && lastModified);
      assert.equal((await get({ range: 'bytes=0-5', 'if-range': etag })).status, 206);
      assert.equal((await get({ range: 'bytes=0-5', 'if-range': lastModified })).status, 206);
      const stale = await get({ range: 'bytes=0-5', 'if-range': `"${'0'.repeat(64)}"` });
      assert.equal(stale.status, 200);
      assert.equal((await stale.arrayBuffer()).byteLength, bytes.length);
      assert.equal((await get({ range: 'bytes=0-5', 'if-range': `W/${etag}` })).status, 200, 'a weak validator never matches');
      assert.equal((await get({ range: 'bytes=0-5', 'if-range': 'Tue, 01 Jan 2019 00:00:00 GMT' })).status, 200);
    });
  });
});

describe('data folder modes', function () {
  this.timeout(30_000);
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'uf-modes-')); });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('an existing folder with loose modes is tightened to 0700, its database, tokens and packages to 0600', async () => {
    const data = join(dir, 'data');
    await mkdir(join(data, 'artifacts'), { recursive: true });
    await writeFile(join(data, 'artifacts', 'a'.repeat(64)), 'old package');
    await chmod(data, 0o755);
    await chmod(join(data, 'artifacts'), 0o755);
    await chmod(join(data, 'artifacts', 'a'.repeat(64)), 0o644);
    const first = await startTestServer({ dataDir: data });
    await first.close();
    // As an earlier version left it: everything readable by every local user.
    for (const f of ['fleet.db', 'admin.token', 'enroll.token']) {
      await writeFile(join(data, f), '', { flag: 'a' });
      await chmod(join(data, f), 0o644);
    }
    await chmod(data, 0o755);
    const s = await startTestServer({ dataDir: data });
    try {
      const mode = async (p: string) => (await stat(join(data, p))).mode & 0o777;
      assert.equal(await mode('.'), 0o700);
      assert.equal(await mode('artifacts'), 0o700);
      assert.equal(await mode(join('artifacts', 'a'.repeat(64))), 0o600);
      if (!s.postgresUrl) assert.equal(await mode('fleet.db'), 0o600);
      for (const f of ['admin.token', 'enroll.token']) assert.equal(await mode(f), 0o600, f);
      assert.equal((await call(s.url, 'GET', '/api/v1/summary', { token: s.adminToken })).status, 200);
    } finally {
      await s.close();
    }
  });

  it('a fresh SQLite database is 0600 from the start', async function () {
    if (process.env.UPDATE_FLEET_TEST_POSTGRES_URL) this.skip();
    const s = await startTestServer({ dataDir: join(dir, 'fresh') });
    try {
      assert.equal((await stat(join(dir, 'fresh', 'fleet.db'))).mode & 0o777, 0o600);
      assert.equal((await stat(join(dir, 'fresh'))).mode & 0o777, 0o700);
    } finally {
      await s.close();
    }
  });
});
