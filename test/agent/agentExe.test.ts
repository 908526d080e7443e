// The single executable (`npm run build:agent-exe` → dist-agent/update-fleet-agent-linux-x64) runs the same flow as
// the script: check in with a real server, download, stage while the program runs, swap at its exit under `launch`,
// start the new version; and as the privileged service it loads its SO_PEERCRED add-on from its own assets.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../src/agent/errors';
import { until } from '../helpers/poll';
import { assertCompleteVersion, cleanupTempDirs, machine, makePackage, REPO, startFleet, type CliResult, type Fleet } from './helpers';

const EXE = join(REPO, 'dist-agent', `update-fleet-agent-${process.platform}-${process.arch}`);

const PROGRAM = `#!/bin/sh
head -n 1 "$1/VERSION" >> "$2/started.log"
while [ ! -e "$2/quit" ]; do sleep 0.1; done
rm -f "$2/quit"
`;

function exe(args: string[], as: { uid?: number; gid?: number } = {}, env: Record<string, string> = {}) {
  // No Node in the environment it needs: not on PATH, no NODE_OPTIONS (tsx's loader must not leak in).
  const childEnv: NodeJS.ProcessEnv = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: env.HOME ?? '/tmp', ...env };
  const child = spawn(EXE, args, { cwd: '/', env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], ...as });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done, stderr: () => stderr };
}

describe('agent: the single executable', function () {
  this.timeout(240_000);
  let fleet: Fleet;
  before(function () {
    if (process.platform !== 'linux' || process.arch !== 'x64') this.skip();
    // Always built from the current sources (about 20 s: a bundle, a SEA blob, postject into a copy of node).
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO, stdio: 'pipe' });
    execFileSync(process.execPath, ['scripts/build-agent-exe.mjs'], { cwd: REPO, stdio: 'pipe' });
  });
  before(async () => {
    fleet = await startFleet();
  });
  after(async () => {
    await fleet?.close();
    await cleanupTempDirs();
  });

  it('launch: checks in, downloads, stages while the program runs, swaps at its exit, and the next start runs the new version', async () => {
    await fleet.setPolicy({ mode: 'auto', delivery: 'forced' });
    await fleet.publish('2.0.0', await makePackage('2.0.0'));
    const m = await machine('1.0.0', fleet.ts.enrollToken);
    const prog = join(m.root, 'program.sh');
    await fsp.writeFile(prog, PROGRAM, { mode: 0o755 });
    const launch = () => exe(['launch', '--server', fleet.ts.url, '--token-file', m.tokenFile, '--install', m.install, '--state', m.state,
      '--startup-delay', '1', '--interval-scale', '0.01', '--', '/bin/sh', prog, m.install, m.root]);
    const started = async () => (await fsp.readFile(join(m.root, 'started.log'), 'utf8').catch(() => '')).trim().split('\n');

    const first = launch();
    await until(async () => (await started()).join(',') === '1.0.0', 'the program to start with 1.0.0');
    await until(() => existsSync(join(m.state, 'identity.json')), 'the client id');
    const id = JSON.parse(await fsp.readFile(join(m.state, 'identity.json'), 'utf8')).clientId as string;
    await until(async () => (await fleet.clientDetail(id)).state === 'installed-pending-restart', 'the update to be staged', 60_000);
    await assertCompleteVersion(`${m.install}_update_pending`, ['2.0.0']);
    await assertCompleteVersion(m.install, ['1.0.0']); // not swapped while the program runs
    await fsp.writeFile(join(m.root, 'quit'), '');
    const r = await first.done;
    assert.equal(r.code, 0, r.stderr);
    await assertCompleteVersion(m.install, ['2.0.0']);
    await assertCompleteVersion(`${m.install}_old`, ['1.0.0']);
    const d = await fleet.clientDetail(id);
    assert.equal(d.version, '2.0.0');
    assert.equal(d.state, 'up-to-date');

    const second = launch();
    await until(async () => (await started()).join(',') === '1.0.0,2.0.0', 'the next start to run 2.0.0');
    await fsp.writeFile(join(m.root, 'quit'), '');
    assert.equal((await second.done).code, 0);
  });

  it('service: loads its SO_PEERCRED add-on from its assets; an allowed user is served, another refused with the reason', async function () {
    if (process.getuid?.() !== 0) this.skip(); // root service, unprivileged users
    const m = await machine('1.0.0', fleet.ts.enrollToken);
    await fsp.chmod(m.root, 0o755);
    const socket = join(m.root, 'run', 'agent.sock');
    const service = exe(['service', '--server', fleet.ts.url, '--token-file', m.tokenFile, '--install', m.install, '--state', m.state,
      '--service-socket', socket, '--socket-group', '65534', '--startup-delay', '3600']);
    try {
      await until(() => existsSync(socket), `the service to listen (${service.stderr()})`);
      const home = join(m.root, 'home');
      await fsp.mkdir(home);
      await fsp.chmod(home, 0o777);
      const user = (uid: number, marker: string) =>
        exe(['launch', '--via-service', '--service-socket', socket, '--', '/bin/sh', '-c', `touch ${home}/${marker}`], { uid, gid: uid }, { HOME: home }).done;
      const ok = await user(65534, 'nobody-ran');
      assert.equal(ok.code, 0, ok.stderr);
      assert.ok(existsSync(join(home, 'nobody-ran')));
      const refused = await user(12345, 'stranger-ran');
      assert.equal(refused.code, EXIT.failure);
      assert.match(refused.stderr, /The update service refused: the update service refuses uid 12345 \(pid \d+\): only root and members of group 65534 may ask and answer/);
      assert.ok(!existsSync(join(home, 'stranger-ran')));
    } finally {
      service.child.kill('SIGTERM');
      const s = await service.done;
      assert.equal(s.code, 0, s.stderr);
    }
  });
});
