// Package uploads (issue 9): the bytes must match the sha256 and size the release was registered with (or the
// upload's headers declare), a signature must verify against the server's package key, a replaced upload does not
// stay on disk or downloadable, and the size limit holds.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from '../../src/server/app';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, fetchWithToken } from '../helpers/http';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function uploader(s: TestServer) {
  const auth = { authorization: `Bearer ${s.adminToken}` };
  return {
    register: (json: Record<string, unknown>) => call(s.url, 'POST', '/api/v1/releases', { json, headers: auth }),
    upload: (version: string, body: Buffer | ReadableStream, headers: Record<string, string> = {}) =>
      call(s.url, 'PUT', `/api/v1/releases/${version}/artifact`, { body: body as BodyInit, headers: { ...auth, 'content-type': 'application/octet-stream', ...headers } }),
    release: (version: string) => call(s.url, 'GET', `/api/v1/releases/${version}`, { headers: auth }),
    download: (digest: string) => fetchWithToken(s.enrollToken)(`${s.url}/agent/v1/artifacts/${digest}`),
    stored: async () => (await readdir(join(s.dataDir, 'artifacts'))).filter((n) => !n.startsWith('.')),
  };
}

describe('package uploads', function () {
  this.timeout(30_000);

  describe('declared sha256 and size, replaced packages, size limit', () => {
    let s: TestServer;
    let u: ReturnType<typeof uploader>;
    before(async () => {
      s = await startTestServer({ server: { maxArtifactBytes: 4096 } });
      u = uploader(s);
    });
    after(async () => s.close());

    it('refuses bytes whose sha256 or size differ from the registration (422), and stores nothing', async () => {
      const good = Buffer.from('the real package');
      const evil = Buffer.from('a different package');
      assert.equal((await u.register({ version: '1.0.0', sha256: sha(good), size: good.length })).status, 201);
      const wrongHash = await u.upload('1.0.0', evil.subarray(0, good.length));
      assert.equal(wrongHash.status, 422, wrongHash.text);
      assert.equal(wrongHash.body.error.code, 'sha256-mismatch');
      const wrongSize = await u.upload('1.0.0', evil);
      assert.equal(wrongSize.status, 422);
      assert.equal(wrongSize.body.error.code, 'size-mismatch');
      assert.equal((await u.download(sha(evil))).status, 404);
      assert.deepEqual(await u.stored(), []);
      const ok = await u.upload('1.0.0', good);
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.body.artifact.sha256, sha(good));
    });

    it('checks the X-Package-Sha256 and X-Package-Size headers too', async () => {
      const bytes = Buffer.from('headers declare me');
      await u.register({ version: '1.1.0' });
      const bad = await u.upload('1.1.0', bytes, { 'x-package-sha256': sha(Buffer.from('other')) });
      assert.equal(bad.status, 422);
      assert.equal(bad.body.error.code, 'sha256-mismatch');
      const badSize = await u.upload('1.1.0', bytes, { 'x-package-size': String(bytes.length + 1) });
      assert.equal(badSize.body.error.code, 'size-mismatch');
      const ok = await u.upload('1.1.0', bytes, { 'x-package-sha256': sha(bytes), 'x-package-size': String(bytes.length) });
      assert.equal(ok.status, 200, ok.text);
    });

    it('deletes the package a newer upload replaced, unless another release still uses it', async () => {
      const first = Buffer.from('first upload');
      const second = Buffer.from('second upload');
      await u.register({ version: '2.0.0' });
      await u.register({ version: '2.0.1' });
      assert.equal((await u.upload('2.0.0', first)).status, 200);
      assert.equal((await u.upload('2.0.1', first)).status, 200); // same bytes, two releases
      assert.equal((await u.upload('2.0.0', second)).status, 200);
      assert.equal((await u.download(sha(first))).status, 200, '2.0.1 still names the first bytes');
      assert.equal((await u.upload('2.0.1', second)).status, 200);
      assert.equal((await u.download(sha(first))).status, 404, 'replaced everywhere: gone');
      assert.ok(!(await u.stored()).includes(sha(first)), 'and not on disk');
      assert.equal((await u.download(sha(second))).status, 200);
      assert.equal((await u.release('2.0.0')).body.artifact.sha256, sha(second));
    });

    it('refuses a package over --max-package-size, declared or streamed (413)', async () => {
      await u.register({ version: '3.0.0' });
      const big = Buffer.alloc(5000, 1);
      const declared = await u.upload('3.0.0', big);
      assert.equal(declared.status, 413);
      assert.equal(declared.body.error.code, 'body-too-large');
      const streamed = new ReadableStream({ start(c) { c.enqueue(big); c.close(); } });
      const chunked = await fetch(`${s.url}/api/v1/releases/3.0.0/artifact`, {
        method: 'PUT', body: streamed, duplex: 'half', headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/octet-stream' },
      } as RequestInit);
      assert.equal(chunked.status, 413);
      assert.equal(((await chunked.json()) as { error: { code: string } }).error.code, 'body-too-large');
      assert.equal((await u.release('3.0.0')).body.artifact.sha256, undefined);
    });
  });

  describe('with a package signing key', () => {
    const publisher = generateKeyPairSync('ed25519');
    const stranger = generateKeyPairSync('ed25519');
    let s: TestServer;
    let u: ReturnType<typeof uploader>;
    before(async () => {
      s = await startTestServer({ server: { packagePublicKey: publisher.publicKey.export({ type: 'spki', format: 'pem' }).toString() } });
      u = uploader(s);
    });
    after(async () => s.close());

    it('accepts only packages whose X-Package-Signature verifies against the key', async () => {
      const pkg = Buffer.from('signed package bytes');
      const good = sign(null, pkg, publisher.privateKey).toString('base64');
      await u.register({ version: '5.0.0' });
      const unsigned = await u.upload('5.0.0', pkg);
      assert.equal(unsigned.status, 422);
      assert.equal(unsigned.body.error.code, 'signature-missing');
      const forged = await u.upload('5.0.0', pkg, { 'x-package-signature': sign(null, pkg, stranger.privateKey).toString('base64') });
      assert.equal(forged.status, 422);
      assert.equal(forged.body.error.code, 'signature-invalid');
      const otherBytes = await u.upload('5.0.0', Buffer.from('tampered package bytes'), { 'x-package-signature': good });
      assert.equal(otherBytes.body.error.code, 'signature-invalid');
      const garbage = await u.upload('5.0.0', pkg, { 'x-package-signature': 'bm90IGEgc2lnbmF0dXJl' });
      assert.equal(garbage.status, 422);
      assert.deepEqual(await u.stored(), []);
      const ok = await u.upload('5.0.0', pkg, { 'x-package-signature': good });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.body.artifact.signature, good);
    });

    it('a key that is not ed25519 stops the start', async () => {
      const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
      await assert.rejects(startServer({ dataDir: join(s.dataDir, 'other'), port: 0, packagePublicKey: rsa }), /ed25519/);
    });
  });
});
