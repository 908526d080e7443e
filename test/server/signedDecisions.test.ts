// Signed decisions, the server's side (issue 9): the key made at the first start (0600, kept across restarts),
// `key export` in both formats, check-in answers that name a version signed over the documented bytes (with the
// agent's nonce and an expiry), answers without one left unsigned, and the flags that go with it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { verify } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseServerKeys } from '../../src/agent/decisionKeys';
import { decisionSigningBytes } from '../../src/core/signedDecision';
import type { CheckinResponse } from '../../src/core/wire';
import { keyIdOf } from '../../src/server/decisionSigner';
import { call, checkinBody, enrolledAgent } from '../helpers/http';
import { startTestServer, type TestServer } from '../helpers/server';

const MAIN = join(__dirname, '..', '..', 'src', 'server', 'main.ts');
const serverCli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', env: { ...process.env, UPDATE_FLEET_POSTGRES_URL: '' } });

describe('signed decisions: the server', function () {
  this.timeout(60_000);
  let ts: TestServer;
  before(async () => { ts = await startTestServer({ demo: true }); });
  after(async () => ts?.close());

  // Check-ins are made as an enrolled client (its own credential), per server (a restart may move the port).
  const agents = new Map<string, ReturnType<typeof enrolledAgent>>();
  const asAgent = (t: TestServer) => {
    let a = agents.get(t.url);
    if (!a) agents.set(t.url, (a = enrolledAgent(t.url, t.enrollToken, { admitWith: t.adminToken })));
    return a;
  };
  const checkin = (body: Record<string, unknown>) => asAgent(ts).post<CheckinResponse>('/agent/v1/checkin', body);
  // Office (demo): "only upgrade to 3.59.127.0", on demand — a client on 3.58.0.0 is offered 3.59.127.0.
  const officeClient = (nonce?: string) => checkinBody('demo-off-pc-0001', '3.58.0.0', nonce ? { nonce } : {});

  it('makes an ed25519 key at the first start, 0600 in the data folder, and keeps it across a restart', async () => {
    const file = join(ts.dataDir, 'decision-signing.key');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const before = ts.server.signer.keyId;
    assert.match(before, /^[0-9a-f]{16}$/);
    ts = await ts.restart();
    assert.equal(ts.server.signer.keyId, before);
  });

  it('key export prints the public key as PEM or base64; both name the same key', () => {
    const pem = serverCli(['key', 'export', '--data', ts.dataDir]);
    assert.equal(pem.status, 0, pem.stderr);
    assert.match(pem.stdout, /^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
    assert.match(pem.stderr, new RegExp(`Key id ${ts.server.signer.keyId}`));
    const b64 = serverCli(['key', 'export', '--format', 'base64', '--data', ts.dataDir]);
    assert.equal(b64.status, 0, b64.stderr);
    assert.match(b64.stdout, /^[A-Za-z0-9+/]{43}=\n$/);
    for (const text of [pem.stdout, b64.stdout]) assert.equal(keyIdOf(parseServerKeys(text, 'exported')[0]), ts.server.signer.keyId);
    const bad = serverCli(['key', 'export', '--format', 'der', '--data', ts.dataDir]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--format must be pem or base64, not "der"/);
  });

  it('signs an answer that names a version: client, nonce, installed version, action, version, package and expiry', async () => {
    const nonce = 'n0nce-of-this-check-in_123';
    const r = await checkin(officeClient(nonce));
    assert.equal(r.status, 200, r.text);
    const a = r.body;
    assert.equal(a.action, 'offer');
    assert.equal(a.version, '3.59.127.0');
    assert.equal(a.signingKeyId, ts.server.signer.keyId);
    const ttl = Date.parse(a.expiresAt!) - Date.now();
    assert.ok(ttl > 23.9 * 3600_000 && ttl <= 24 * 3600_000, `24 h by default, got ${ttl} ms`);
    const key = parseServerKeys(ts.server.signer.exportPublicKey('pem'), 'pem')[0];
    const fields = { clientId: 'demo-off-pc-0001', nonce, installed: '3.58.0.0', action: a.action, reason: a.reason, version: a.version!, sha256: a.sha256 ?? null, size: a.size ?? null, mandatory: a.mandatory === true, expiresAt: a.expiresAt! };
    const sig = Buffer.from(a.decisionSignature!, 'base64');
    assert.ok(verify(null, Buffer.from(decisionSigningBytes(fields)), key, sig), 'verifies over the documented bytes');
    assert.ok(!verify(null, Buffer.from(decisionSigningBytes({ ...fields, nonce: 'another-check-in-nonce' })), key, sig), 'bound to the nonce');
    assert.ok(!verify(null, Buffer.from(decisionSigningBytes({ ...fields, installed: '3.59.228.0' })), key, sig), 'bound to the installed version');
  });

  it('leaves answers that name nothing to install, or that no nonce asked to prove, unsigned; refuses a malformed nonce in the error shape', async () => {
    const none = await checkin(checkinBody('new-client-unsigned', '1.0.0', { nonce: 'AAAAAAAAAAAAAAAAAAAAAA' }));
    assert.equal(none.status, 200, none.text);
    assert.equal(none.body.action, 'none');
    assert.equal(none.body.decisionSignature, undefined);
    assert.equal(none.body.expiresAt, undefined);
    // An agent that sent no nonce verifies nothing (it has no --server-key): its answer is not signed.
    const unasked = await checkin(officeClient());
    assert.equal(unasked.status, 200, unasked.text);
    assert.ok(unasked.body.version, 'the answer names a version');
    assert.equal(unasked.body.decisionSignature, undefined);
    const bad = await checkin(officeClient('short'));
    assert.equal(bad.status, 400);
    assert.match((bad.body as unknown as { error: { message: string } }).error.message, /nonce/);
  });

  it('the legacy check.ini carries no signature (its format has no room for one)', async () => {
    const r = await call(ts.url, 'GET', '/agent/v1/check.ini?clientId=demo-off-pc-0002&version=3.58.0.0', { token: ts.enrollToken }); // a legacy client: no credential of its own
    assert.equal(r.status, 200);
    assert.match(r.text, /^\[DATA\]\r\nSuccess=1\r\n/);
    assert.doesNotMatch(r.text, /ignature|xpires/);
  });

  it('the expiry follows decisionTtlSeconds (--decision-ttl)', async () => {
    const short = await startTestServer({ demo: true, server: { decisionTtlSeconds: 600 } });
    try {
      const r = await asAgent(short).post<CheckinResponse>('/agent/v1/checkin', officeClient('nonce-of-the-ttl-check'));
      const ttl = Date.parse(r.body.expiresAt!) - Date.now();
      assert.ok(ttl > 590_000 && ttl <= 600_000, `600 s, got ${ttl} ms`);
    } finally {
      await short.close();
    }
  });

  it('the TLS flags go together', () => {
    const r = serverCli(['--tls-cert', '/nonexistent.pem', '--port', '0', '--data', ts.dataDir]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--tls-cert and --tls-key go together/);
  });
});
