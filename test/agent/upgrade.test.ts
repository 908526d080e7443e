// A full upgrade, refused packages, signatures, rollback, a resumed download and the failure reasons: the real
// agent against a real server, with real folders moved in a temp dir.
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../src/agent/errors';
import { agentFor, assertCompleteVersion, configFor, keyPair, machine, makePackage, runCli, startFleet, type Fleet, type Machine, cleanupTempDirs } from './helpers';

describe('agent: upgrade against a real server', function () {
  this.timeout(30_000);
  after(cleanupTempDirs);
  let fleet: Fleet;
  beforeEach(async () => {
    fleet = await startFleet();
    await fleet.setPolicy({ mode: 'auto', delivery: 'forced' });
  });
  afterEach(async () => fleet?.close());

  const serverConfig = (m: Machine, over = {}) => configFor(m, { server: fleet.ts.url, token: fleet.ts.enrollToken, ...over });

  /** The old install is untouched, nothing is staged, and the server shows failed with the reason. */
  async function assertRefused(m: Machine, clientId: string, reason: RegExp): Promise<void> {
    assert.equal(await assertCompleteVersion(m.install, ['1.0.0']), '1.0.0');
    assert.ok(!existsSync(`${m.install}_update_pending`), 'nothing staged');
    assert.ok(!existsSync(`${m.install}_old`), 'nothing swapped');
    const detail = await fleet.clientDetail(clientId);
    assert.equal(detail.state, 'failed');
    assert.equal(detail.version, '1.0.0');
    assert.match(detail.reason ?? '', reason);
  }

  it('downloads, verifies, stages in _update_pending, swaps (keeping _old) and the server shows the new version', async () => {
    const pkg = await makePackage('2.0.0');
    await fleet.publish('2.0.0', pkg);
    const m = await machine('1.0.0');
    const { agent, log, clientId } = await agentFor(serverConfig(m));

    assert.equal(await agent.check(), EXIT.ok, log.text());
    assert.equal(await assertCompleteVersion(m.install, ['2.0.0']), '2.0.0');
    assert.equal(await assertCompleteVersion(`${m.install}_old`, ['1.0.0']), '1.0.0');
    assert.ok(!existsSync(`${m.install}_update_pending`), 'the pending folder became the install');
    // The package is kept under its sha256 (seed 003: manual rollback).
    assert.ok(existsSync(join(m.state, 'downloads', `${pkg.sha256}.pkg`)));
    assert.match(log.text(), /staging it in .*app_update_pending/);

    const detail = await fleet.clientDetail(clientId);
    assert.equal(detail.state, 'up-to-date');
    assert.equal(detail.version, '2.0.0');
    const states = detail.history.map((h: { state: string }) => h.state);
    for (const s of ['downloading', 'staged', 'up-to-date']) assert.ok(states.includes(s), `history has ${s}: ${states.join(', ')}`);

    // A second upgrade replaces the older _old.
    await fleet.publish('3.0.0', await makePackage('3.0.0'));
    assert.equal(await agent.check(), EXIT.ok, log.text());
    assert.equal(await assertCompleteVersion(m.install, ['3.0.0']), '3.0.0');
    assert.equal(await assertCompleteVersion(`${m.install}_old`, ['2.0.0']), '2.0.0');
    assert.equal((await fleet.clientDetail(clientId)).version, '3.0.0');
  });

  it('refuses a tampered package (sha256 mismatch): old install intact, server shows failed with expected/got', async () => {
    const pkg = await makePackage('2.0.0');
    const { artifact } = await fleet.publish('2.0.0', pkg);
    // Tamper with the stored bytes (same size, one byte changed), as a compromised mirror would.
    const stored = join(fleet.ts.dataDir, 'artifacts', artifact.sha256);
    const bytes = await fsp.readFile(stored);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    await fsp.writeFile(stored, bytes);

    const m = await machine('1.0.0');
    const { agent, log, clientId } = await agentFor(serverConfig(m));
    assert.equal(await agent.check(), EXIT.failure);
    await assertRefused(m, clientId, new RegExp(`^Checksum mismatch: expected sha256 ${pkg.sha256}, got [0-9a-f]{64}$`));
    assert.match(log.text(), /1\.0\.0 stays installed/);
    // The bad bytes are not kept for the next attempt.
    assert.deepEqual((await fsp.readdir(join(m.state, 'downloads'))).filter((f) => f.endsWith('.pkg')), []);
  });

  it('refuses a package of the wrong size', async () => {
    const pkg = await makePackage('2.0.0');
    const { artifact } = await fleet.publish('2.0.0', pkg);
    await fsp.appendFile(join(fleet.ts.dataDir, 'artifacts', artifact.sha256), 'trailing junk');
    const m = await machine('1.0.0');
    const { agent, clientId } = await agentFor(serverConfig(m));
    assert.equal(await agent.check(), EXIT.failure);
    await assertRefused(m, clientId, new RegExp(`^Size mismatch: expected ${pkg.bytes.length} bytes, got ${pkg.bytes.length + 13}$`));
  });

  it('accepts a package with a valid ed25519 signature', async () => {
    const keys = keyPair();
    const pkg = await makePackage('2.0.0');
    await fleet.publish('2.0.0', pkg, { signature: keys.sign(pkg.bytes) });
    const m = await machine('1.0.0');
    const keyFile = join(m.root, 'publisher.pem');
    await fsp.writeFile(keyFile, keys.publicPem);
    const { agent, log } = await agentFor(serverConfig(m, { publicKeyPem: keys.publicPem, publicKeyFile: keyFile }));
    assert.equal(await agent.check(), EXIT.ok, log.text());
    assert.match(log.text(), /signature valid/);
    assert.equal(await assertCompleteVersion(m.install, ['2.0.0']), '2.0.0');
  });

  it('refuses a package signed by another key, and an unsigned one when a key is configured', async () => {
    const trusted = keyPair();
    const other = keyPair();
    const pkg = await makePackage('2.0.0');
    await fleet.publish('2.0.0', pkg, { signature: other.sign(pkg.bytes) });
    const m = await machine('1.0.0');
    const { agent, clientId } = await agentFor(serverConfig(m, { publicKeyPem: trusted.publicPem }));
    assert.equal(await agent.check(), EXIT.failure);
    await assertRefused(m, clientId, /^Signature invalid: the package is not signed by the configured publisher key$/);

    await fleet.publish('2.1.0', await makePackage('2.1.0'));
    assert.equal(await agent.check(), EXIT.failure);
    await assertRefused(m, clientId, /^Signature missing: a publisher key is configured, so an unsigned package is refused$/);
  });

  it('rolls back to _old and reports the version it went back to', async () => {
    await fleet.publish('2.0.0', await makePackage('2.0.0'));
    const m = await machine('1.0.0');
    const c = serverConfig(m);
    const { agent, log, clientId } = await agentFor(c);
    assert.equal(await agent.check(), EXIT.ok, log.text());

    assert.equal(await agent.rollback(), EXIT.ok, log.text());
    assert.equal(await assertCompleteVersion(m.install, ['1.0.0']), '1.0.0');
    assert.equal(await assertCompleteVersion(`${m.install}_old`, ['2.0.0']), '2.0.0', 'the rolled-back version is kept as _old');
    const detail = await fleet.clientDetail(clientId);
    assert.equal(detail.version, '1.0.0');
    assert.match(detail.reason ?? '', /Rolled back from 2\.0\.0 to 1\.0\.0/);

    // Rolling back with nothing kept is a failure with a reason, and changes nothing.
    const fresh = await machine('1.0.0');
    const other = await agentFor(serverConfig(fresh));
    assert.equal(await other.agent.check(), EXIT.ok); // checks in (and upgrades)
    await fsp.rm(`${fresh.install}_old`, { recursive: true });
    assert.equal(await other.agent.rollback(), EXIT.failure);
    assert.equal(await assertCompleteVersion(fresh.install, ['2.0.0']), '2.0.0');
    assert.match((await fleet.clientDetail(other.clientId)).reason ?? '', /^Rollback failed: Nothing to roll back to/);
  });

  it('resumes a partial download with an HTTP Range request', async () => {
    const pkg = await makePackage('2.0.0');
    await fleet.publish('2.0.0', pkg);
    const m = await machine('1.0.0');
    const half = Math.floor(pkg.bytes.length / 2);
    await fsp.mkdir(join(m.state, 'downloads'), { recursive: true });
    await fsp.writeFile(join(m.state, 'downloads', `${pkg.sha256}.part`), pkg.bytes.subarray(0, half));
    const { agent, log } = await agentFor(serverConfig(m));
    assert.equal(await agent.check(), EXIT.ok, log.text());
    assert.match(log.text(), new RegExp(`Resumed the download at byte ${half}\\.`));
    assert.equal(await assertCompleteVersion(m.install, ['2.0.0']), '2.0.0');
    assert.ok(!existsSync(join(m.state, 'downloads', `${pkg.sha256}.part`)));
  });

  it('reports a download error with its HTTP status', async () => {
    const missing = 'e'.repeat(64);
    const reg = await fleet.admin.post('/api/v1/releases', { version: '2.0.0', url: `${fleet.ts.url}/agent/v1/artifacts/${missing}`, sha256: missing, size: 1234 });
    assert.equal(reg.status, 201, reg.text);
    assert.equal((await fleet.admin.post(`/api/v1/releases/${reg.body.id}/approve`)).status, 200);
    const m = await machine('1.0.0');
    const { agent, clientId } = await agentFor(serverConfig(m));
    assert.equal(await agent.check(), EXIT.failure);
    await assertRefused(m, clientId, new RegExp(`^Download failed: HTTP 404 Not Found for ${fleet.ts.url.replace(/[.]/g, '\\.')}/agent/v1/artifacts/e{64}$`));
  });

  it('reports a disk that cannot hold the package, with the numbers', async () => {
    const pkg = await makePackage('2.0.0');
    const { artifact } = await fleet.publish('2.0.0', pkg, { approve: false });
    // A release announcing a package far larger than any test disk.
    const reg = await fleet.admin.post('/api/v1/releases', { version: '2.0.1', url: `${fleet.ts.url}${artifact.url}`, sha256: artifact.sha256, size: 2 ** 50 });
    assert.equal(reg.status, 201, reg.text);
    assert.equal((await fleet.admin.post(`/api/v1/releases/${reg.body.id}/approve`)).status, 200);
    const m = await machine('1.0.0');
    const { agent, clientId } = await agentFor(serverConfig(m));
    assert.equal(await agent.check(), EXIT.failure);
    await assertRefused(m, clientId, /^Disk full: \d+ MB needed, \d+ MB free in .*downloads$/);
  });

  it('privilege split: the unprivileged agent stages, a root apply swaps, and the agent keeps working afterwards', async function () {
    if (typeof process.getuid !== 'function' || process.getuid() !== 0) this.skip();
    await fleet.publish('2.0.0', await makePackage('2.0.0'));
    const m = await machine('1.0.0', fleet.ts.enrollToken);
    await fsp.mkdir(m.state, { recursive: true });
    await chownTree(m.root, 65534, 65534);
    const args = ['--server', fleet.ts.url, '--token-file', m.tokenFile, '--install', m.install, '--state', m.state];
    const nobody = { uid: 65534, gid: 65534 };
    const staged = await runCli(['check', '--apply-by', 'service', ...args], { HOME: m.state }, nobody);
    assert.equal(staged.code, EXIT.ok, staged.stderr);
    assert.equal(await assertCompleteVersion(m.install, ['1.0.0']), '1.0.0');

    const applied = await runCli(['apply', ...args]); // as root, like a service manager's oneshot unit
    assert.equal(applied.code, EXIT.ok, applied.stderr);
    assert.equal(await assertCompleteVersion(m.install, ['2.0.0']), '2.0.0');
    assert.equal((await fsp.stat(join(m.state, 'state.json'))).uid, 65534, 'root left the state file to the agent');

    const after = await runCli(['check', '--apply-by', 'service', ...args], { HOME: m.state }, nobody);
    assert.equal(after.code, EXIT.ok, after.stderr);
    const id = JSON.parse(await fsp.readFile(join(m.state, 'identity.json'), 'utf8')).clientId as string;
    const detail = await fleet.clientDetail(id);
    assert.equal(detail.state, 'up-to-date');
    assert.equal(detail.version, '2.0.0');
  });

  it('reports permission denied when the agent cannot write beside the install (run as an unprivileged user)', async function () {
    if (typeof process.getuid !== 'function' || process.getuid() !== 0) this.skip(); // needs root to start a child as "nobody"
    await fleet.publish('2.0.0', await makePackage('2.0.0'));
    const m = await machine('1.0.0', fleet.ts.enrollToken);
    // The state dir belongs to the unprivileged user; the folder holding the install does not.
    await fsp.mkdir(m.state, { recursive: true });
    await fsp.chown(m.state, 65534, 65534);
    await fsp.chmod(m.root, 0o755);
    await fsp.chmod(m.tokenFile, 0o644);
    const r = await runCli(['check', '--server', fleet.ts.url, '--token-file', m.tokenFile, '--install', m.install, '--state', m.state], { HOME: m.state }, { uid: 65534, gid: 65534 });
    assert.equal(r.code, EXIT.failure, r.stderr);
    assert.equal(await assertCompleteVersion(m.install, ['1.0.0']), '1.0.0');
    const id = JSON.parse(await fsp.readFile(join(m.state, 'identity.json'), 'utf8')).clientId as string;
    const detail = await fleet.clientDetail(id);
    assert.equal(detail.state, 'failed');
    assert.match(detail.reason ?? '', new RegExp(`^Permission denied writing .*app_update_pending\\.partial: the agent needs write access to ${m.root.replace(/[.]/g, '\\.')}`));
  });
});

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await fsp.chown(path, uid, gid);
  if ((await fsp.lstat(path)).isDirectory()) for (const e of await fsp.readdir(path)) await chownTree(join(path, e), uid, gid);
}
