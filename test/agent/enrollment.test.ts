// The agent's own credential (issue 9): it enrolls once with the enrollment token, keeps its secret in the state
// folder (0600), checks in, reports and downloads as itself; a pending client waits, a decommissioned one stops.
// The real agent (in process, and the CLI as its own process) against a real server.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../src/agent/errors';
import { agentFor, cleanupTempDirs, configFor, machine, makePackage, runCli, startFleet, type Fleet } from './helpers';

const modeOf = async (file: string): Promise<number> => (await fsp.stat(file)).mode & 0o777;

describe('agent: enrollment and its own credential', function () {
  this.timeout(60_000);
  after(cleanupTempDirs);
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });

  it('enrolls once, keeps a 0600 secret in its state folder, and upgrades with it (check-in, download, reports)', async () => {
    fleet = await startFleet();
    await fleet.setPolicy({ mode: 'auto', delivery: 'forced' });
    await fleet.publish('2.0.0', await makePackage('2.0.0'));
    const m = await machine('1.0.0');
    const config = configFor(m, { server: fleet.ts.url, token: fleet.ts.enrollToken });
    const { agent, log, clientId } = await agentFor(config);
    assert.equal(await agent.check(), EXIT.ok, log.text());
    const file = join(m.state, 'client.secret');
    assert.equal(await modeOf(file), 0o600);
    const secret = (await fsp.readFile(file, 'utf8')).trim();
    assert.equal(Buffer.from(secret, 'base64url').length, 32);
    const detail = await fleet.clientDetail(clientId);
    assert.deepEqual([detail.version, detail.state, detail.address], ['2.0.0', 'up-to-date', '127.0.0.1']);
    const stored = await fleet.ts.server.fleet.store.credentials.get(clientId);
    assert.equal(stored?.secretHash, createHash('sha256').update(secret).digest('hex'), 'the server keeps only the hash');
    // The CLI, a new process on the same state folder: the same secret, the enrollment answered again, no conflict.
    await fsp.writeFile(m.tokenFile, fleet.ts.enrollToken + '\n', { mode: 0o600 });
    const r = await runCli(['check', '--server', fleet.ts.url, '--token-file', m.tokenFile, '--install', m.install, '--state', m.state]);
    assert.equal(r.code, EXIT.ok, r.stderr + r.stdout);
    assert.equal((await fsp.readFile(file, 'utf8')).trim(), secret);
  });

  it('tightens a secret file left readable by others', async () => {
    fleet = await startFleet();
    const m = await machine('1.0.0');
    const file = join(m.state, 'client.secret');
    await fsp.mkdir(m.state, { recursive: true });
    await fsp.writeFile(file, 'B'.repeat(43) + '\n', { mode: 0o644 });
    await fsp.chmod(file, 0o644);
    const { agent, log } = await agentFor(configFor(m, { server: fleet.ts.url, token: fleet.ts.enrollToken }));
    assert.equal(await agent.check(), EXIT.ok, log.text());
    assert.equal(await modeOf(file), 0o600);
  });

  it('waits while pending (manual admission), and is let in once accepted', async () => {
    fleet = await startFleet({ admission: 'manual' });
    const m = await machine('1.0.0');
    const { agent, log, clientId } = await agentFor(configFor(m, { server: fleet.ts.url, token: fleet.ts.enrollToken }));
    assert.equal(await agent.check(), EXIT.failure, log.text());
    assert.match(log.text(), /waiting for an administrator to admit this client/);
    assert.equal((await fleet.admin.post(`/api/v1/enrollments/${clientId}/accept`)).status, 200);
    assert.equal(await agent.check(), EXIT.ok, log.text());
    assert.equal((await fleet.clientDetail(clientId)).version, '1.0.0');
  });

  it('a decommissioned client says so and stops checking for the session', async () => {
    fleet = await startFleet();
    const m = await machine('1.0.0');
    const config = configFor(m, { server: fleet.ts.url, token: fleet.ts.enrollToken, intervalScale: 0.0001 });
    const { agent, log, clientId } = await agentFor(config);
    assert.equal(await agent.check(), EXIT.ok, log.text());
    assert.equal((await fleet.admin.post(`/api/v1/clients/${clientId}/decommission`)).status, 200);
    // `run` checks after the start-up delay, is refused, and returns instead of retrying.
    const ac = new AbortController();
    const guard = setTimeout(() => ac.abort(), 30_000);
    try {
      assert.equal(await agent.run(ac.signal), EXIT.failure, log.text());
    } finally {
      clearTimeout(guard);
    }
    assert.ok(!ac.signal.aborted, 'run returned by itself');
    assert.match(log.text(), /decommissioned by an administrator.*No more update checks in this session/);
    assert.match(log.text(), /No update checks for the rest of this session \(The server refuses this client \(decommissioned\)\.\)/);
  });
});
