// Signed decisions (issue 9): the real agent with the server's key, real folders, a real server, and between them a
// real HTTP relay that plays the attacker on the network — it replays, forges, alters and strips check-in answers.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Agent } from '../../src/agent/agent';
import { buildSourceAndReporter } from '../../src/agent/cli';
import { ClientCredential } from '../../src/agent/clientCredential';
import { parseServerKeys } from '../../src/agent/decisionKeys';
import { EXIT } from '../../src/agent/errors';
import { loadIdentity } from '../../src/agent/identity';
import { MemoryLogger } from '../../src/agent/log';
import { FixedPrompter } from '../../src/agent/prompter';
import { ServerSource } from '../../src/agent/serverSource';
import type { CheckinRequest, CheckinResponse } from '../../src/core/wire';
import { withPolicyDefaults } from '../../src/core/policy';
import { DecisionSigner, loadOrCreateSigningKey } from '../../src/server/decisionSigner';
import { client } from '../helpers/http';
import { agentFor, assertCompleteVersion, cleanupTempDirs, configFor, machine, makePackage, startFleet, type Fleet, type Machine, type Pkg } from './helpers';

type Rewrite = (req: CheckinRequest, res: CheckinResponse) => CheckinResponse;

/** Passes every request on to the server; check-in answers go through `rewrite` and are recorded. */
async function startRelay(upstream: string): Promise<{ url: string; rewrite?: Rewrite; answers: CheckinResponse[]; close(): Promise<void> }> {
  const relay = { url: '', rewrite: undefined as Rewrite | undefined, answers: [] as CheckinResponse[], close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        const headers: Record<string, string> = {};
        for (const h of ['authorization', 'content-type']) if (req.headers[h]) headers[h] = String(req.headers[h]);
        const up = await fetch(upstream + req.url, { method: req.method, headers, body: body.length ? body : undefined });
        let out: Buffer | string = Buffer.from(await up.arrayBuffer());
        if (req.url === '/agent/v1/checkin' && up.status === 200) {
          let answer = JSON.parse(out.toString()) as CheckinResponse;
          // The package is fetched through the relay too (the agent sends its credential to its own server only).
          if (answer.url) answer.url = answer.url.replace(upstream, relay.url);
          relay.answers.push(structuredClone(answer));
          if (relay.rewrite) answer = relay.rewrite(JSON.parse(body.toString()) as CheckinRequest, answer);
          out = JSON.stringify(answer);
        }
        res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
        res.end(out);
      })().catch((e: Error) => {
        res.writeHead(502);
        res.end(e.message);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  relay.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  relay.close = () => new Promise<void>((r) => server.close(() => r()));
  return relay;
}

describe('agent: signed decisions', function () {
  this.timeout(60_000);
  after(cleanupTempDirs);
  let fleet: Fleet;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let pkg15: Pkg;
  let pkg20: Pkg;
  beforeEach(async () => {
    fleet = await startFleet();
    relay = await startRelay(fleet.ts.url);
    [pkg15, pkg20] = [await makePackage('1.5.0'), await makePackage('2.0.0')];
  });
  afterEach(async () => {
    await relay?.close();
    await fleet?.close();
  });

  /** The agent talks to the relay and holds the server's public key, as `--server-key FILE` gives it. */
  async function verifyingConfig(m: Machine) {
    const keyFile = join(m.root, 'server-key.pem');
    await fsp.writeFile(keyFile, fleet.ts.server.signer.exportPublicKey('pem'));
    return configFor(m, { server: relay.url, token: fleet.ts.enrollToken, serverKeys: parseServerKeys(await fsp.readFile(keyFile, 'utf8'), keyFile), serverKeyFile: keyFile });
  }

  /** Refused: the install is as it was, nothing staged, and the console shows the reason. */
  async function assertRefused(m: Machine, clientId: string, installed: string, reason: RegExp): Promise<void> {
    assert.equal(await assertCompleteVersion(m.install, [installed]), installed);
    assert.ok(!existsSync(`${m.install}_update_pending`), 'nothing staged');
    const detail = await fleet.clientDetail(clientId);
    assert.equal(detail.state, 'failed');
    assert.equal(detail.version, installed);
    assert.match(detail.reason ?? '', reason);
  }

  it('acts on genuine signed answers: an upgrade, then a signed rollback to a lower version', async () => {
    await fleet.publish('1.5.0', pkg15);
    const { id: id20 } = await fleet.publish('2.0.0', pkg20);
    await fleet.setPolicy({ mode: 'auto', delivery: 'forced' });
    const m = await machine('1.0.0');
    const { agent, log } = await agentFor(await verifyingConfig(m));
    assert.equal(await agent.check(), EXIT.ok, log.text());
    assert.equal(await assertCompleteVersion(m.install, ['2.0.0']), '2.0.0');
    const signed = relay.answers.at(-1)!;
    assert.equal(signed.signingKeyId, fleet.ts.server.signer.keyId);
    assert.match(signed.decisionSignature ?? '', /^[A-Za-z0-9+/]{86}==$/);
    const ttl = Date.parse(signed.expiresAt!) - Date.now();
    assert.ok(ttl > 23 * 3600_000 && ttl <= 24 * 3600_000, `a day by default, not ${ttl} ms`);

    const rb = await fleet.admin.post(`/api/v1/releases/${id20}/rollback`, {});
    assert.equal(rb.status, 200, rb.text);
    assert.equal(await agent.check(), EXIT.ok, log.text());
    assert.equal(relay.answers.at(-1)!.reason, 'rollback');
    assert.equal(await assertCompleteVersion(m.install, ['1.5.0']), '1.5.0', 'a signed rollback may go down');
  });

  it('refuses a replayed older signed answer and reports why; the newer install stays', async () => {
    await fleet.publish('1.5.0', pkg15);
    await fleet.setPolicy({ mode: 'pinned', pinnedVersion: '1.5.0', delivery: 'forced' });
    const m = await machine('1.0.0');
    const { agent, log, clientId } = await agentFor(await verifyingConfig(m));
    assert.equal(await agent.check(), EXIT.ok, log.text());
    const older = relay.answers.at(-1)!;
    assert.equal(older.version, '1.5.0');
    await fleet.publish('2.0.0', pkg20);
    await fleet.setPolicy({ mode: 'pinned', pinnedVersion: '2.0.0', delivery: 'forced' });
    assert.equal(await agent.check(), EXIT.ok, log.text());
    assert.equal(await assertCompleteVersion(m.install, ['2.0.0']), '2.0.0');

    // Whoever answers for the server now plays back the old, genuinely signed "force 1.5.0".
    relay.rewrite = () => older;
    assert.equal(await agent.check(), EXIT.failure);
    await assertRefused(m, clientId, '2.0.0', /^Refused the server's answer "force 1\.5\.0": its signature does not verify/);
    assert.match(log.text(), /Refused the server's answer "force 1\.5\.0"/);
  });

  it('refuses a forged downgrade, an altered package hash and an unsigned answer', async () => {
    const { artifact: a15 } = await fleet.publish('1.5.0', pkg15);
    await fleet.publish('2.0.0', pkg20);
    await fleet.setPolicy({ mode: 'auto', delivery: 'forced' });

    const cases: Array<[string, Rewrite, RegExp]> = [
      ['a genuine upgrade turned into a rollback to 1.5.0',
        (_q, a) => ({ ...a, action: 'downgrade', reason: 'rollback', version: '1.5.0', sha256: a15.sha256, size: a15.size, url: a15.url }),
        /"downgrade 1\.5\.0": its signature does not verify/],
      ['the right version with another package',
        (_q, a) => ({ ...a, sha256: a15.sha256, size: a15.size, url: a15.url }),
        /"force 2\.0\.0": its signature does not verify/],
      ['the signature taken off', (_q, a) => {
        const { decisionSignature: _s, signingKeyId: _k, ...bare } = a;
        return bare;
      }, /"force 2\.0\.0": it is not signed/],
    ];
    for (const [what, rewrite, reason] of cases) {
      relay.rewrite = rewrite;
      const m = await machine('1.0.0');
      const { agent, clientId } = await agentFor(await verifyingConfig(m));
      assert.equal(await agent.check(), EXIT.failure, what);
      await assertRefused(m, clientId, '1.0.0', reason);
      assert.deepEqual(existsSync(join(m.state, 'downloads')) ? (await fsp.readdir(join(m.state, 'downloads'))).filter((f) => f.endsWith('.pkg')) : [], [], `${what}: nothing downloaded`);
    }
  });

  it('refuses a lower version signed as anything but a rollback or an allowed downgrade', async () => {
    const { artifact: a15 } = await fleet.publish('1.5.0', pkg15);
    await fleet.publish('2.0.0', pkg20);
    await fleet.setPolicy({ mode: 'auto', delivery: 'forced' });
    const m = await machine('2.0.0');
    const { agent, clientId } = await agentFor(await verifyingConfig(m));
    // Signed with the server's own key, for this very check-in: only the rule about lower versions stands in the way.
    const signer = new DecisionSigner(await loadOrCreateSigningKey(fleet.ts.dataDir));
    relay.rewrite = (q, a) => signer.sign({ ...a, action: 'force', reason: 'forced-by-policy', version: '1.5.0', sha256: a15.sha256, size: a15.size, url: a15.url, mandatory: false, message: 'forced' },
      { clientId: q.clientId, nonce: q.nonce, installed: q.version });
    assert.equal(await agent.check(), EXIT.failure);
    await assertRefused(m, clientId, '2.0.0', /"force 1\.5\.0": 1\.5\.0 is lower than the installed 2\.0\.0, and the answer is not a rollback or an allowed downgrade/);
  });

  it('refuses an expired answer', async () => {
    await fleet.publish('2.0.0', pkg20);
    await fleet.setPolicy({ mode: 'auto', delivery: 'forced' });
    const m = await machine('1.0.0');
    const c = await verifyingConfig(m);
    const log = new MemoryLogger();
    const identity = await loadIdentity(c.state, 'late-machine');
    // The answer arrives (or is held back and delivered) after its expiry: the agent's clock is 25 hours on.
    const later = () => new Date(Date.now() + 25 * 3600_000);
    const credential = new ClientCredential({ server: c.server!, enrollToken: c.token!, identity, stateDir: c.state });
    const source = new ServerSource({ server: c.server!, token: c.token!, protocol: 'json', checkIntervalSeconds: 86_400, startupDelaySeconds: 300, serverKeys: c.serverKeys, now: later, credential });
    const wired = buildSourceAndReporter(c, identity, log);
    assert.ok(wired.source instanceof ServerSource, 'the CLI wires the same source');
    const agent = new Agent({ config: c, identity, source, reporter: wired.reporter, prompter: new FixedPrompter({ kind: 'now' }), log });
    assert.equal(await agent.check(), EXIT.failure);
    await assertRefused(m, identity.clientId, '1.0.0', /"force 2\.0\.0": it expired at \d{4}-\d\d-\d\dT/);
  });

  it('key rotation as the README describes it: agents that hold the old and the next key follow the server across the swap', async () => {
    await fleet.publish('1.5.0', pkg15);
    await fleet.setPolicy({ mode: 'pinned', pinnedVersion: '1.5.0', delivery: 'forced' });
    const [oldOnly, both] = [await machine('1.0.0'), await machine('1.0.0')];
    // 1. The next key, made with openssl; its public half is added to the agents' key file beside the current one.
    const work = join(both.root, 'rotation');
    await fsp.mkdir(work);
    execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', join(work, 'next.key')]);
    const nextPub = execFileSync('openssl', ['pkey', '-in', join(work, 'next.key'), '-pubout'], { encoding: 'utf8' });
    const ca = { ...(await verifyingConfig(oldOnly)), server: fleet.ts.url };
    const cb = { ...(await verifyingConfig(both)), server: fleet.ts.url };
    await fsp.appendFile(cb.serverKeyFile!, nextPub);
    cb.serverKeys = parseServerKeys(await fsp.readFile(cb.serverKeyFile!, 'utf8'), cb.serverKeyFile!);
    assert.equal(cb.serverKeys!.length, 2);
    for (const c of [ca, cb]) assert.equal(await (await agentFor(c)).agent.check(), EXIT.ok);
    for (const m of [oldOnly, both]) assert.equal(await assertCompleteVersion(m.install, ['1.5.0']), '1.5.0', 'the current key signs');

    // 2. The server signs with the next key from its restart on.
    const oldId = fleet.ts.server.signer.keyId;
    await fsp.copyFile(join(work, 'next.key'), join(fleet.ts.dataDir, 'decision-signing.key'));
    // The restart is a new server object on another port; it is closed here (the fleet's close knows only the first).
    const restarted = await fleet.ts.restart();
    try {
      assert.notEqual(restarted.server.signer.keyId, oldId);
      // The restarted server listens on another port: the admin calls go there.
      const admin = client(restarted.url, restarted.adminToken);
      const reg = await admin.post('/api/v1/releases', { version: '2.0.0' });
      assert.equal(reg.status, 201, reg.text);
      const up = await admin.raw('PUT', `/api/v1/releases/${reg.body.id}/artifact`, { body: new Uint8Array(pkg20.bytes) as unknown as BodyInit, headers: { 'content-type': 'application/octet-stream' } });
      assert.equal(up.status, 200, up.text);
      assert.equal((await admin.post(`/api/v1/releases/${reg.body.id}/approve`)).status, 200);
      const pol = await admin.put('/api/v1/groups/default/policy', { ...withPolicyDefaults({ mode: 'pinned', pinnedVersion: '2.0.0', delivery: 'forced' }), checkIntervalSeconds: 60, startupDelaySeconds: 60 });
      assert.equal(pol.status, 200, pol.text);
      const b = await agentFor({ ...cb, server: restarted.url });
      assert.equal(await b.agent.check(), EXIT.ok, b.log.text());
      assert.equal(await assertCompleteVersion(both.install, ['2.0.0']), '2.0.0', 'the agent that has the next key follows');
      const a = await agentFor({ ...ca, server: restarted.url });
      assert.equal(await a.agent.check(), EXIT.failure);
      assert.equal(await assertCompleteVersion(oldOnly.install, ['1.5.0']), '1.5.0', 'the agent without the next key refuses');
      const detail = (await admin.get(`/api/v1/clients/${a.clientId}`)).body;
      assert.equal(detail.state, 'failed');
      assert.match(detail.reason, /"force 2\.0\.0": its signature does not verify/);
    } finally {
      await restarted.close();
    }
  });
});
