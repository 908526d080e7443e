// Seed 002's privileged update service: `service` runs as root and owns the install; the user's side
// (`launch --via-service`, here as the unprivileged user nobody) starts the program, answers the service's question
// and says when the program exited; the service swaps. The user's side cannot write the install, cannot name a path,
// and a user the service does not allow (checked with SO_PEERCRED) is refused with the reason.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { serviceUnit } from '../../src/agent/systemdUnit';
import { EXIT } from '../../src/agent/errors';
import { until } from '../helpers/poll';
import { createGroup, createUser, removeAll as removeTestUsers } from '../helpers/unixUsers';
import { assertCompleteVersion, cleanupTempDirs, machine, makePackage, MAIN_TS, REPO, runCli, startFleet, type CliResult, type Fleet } from './helpers';

const PROGRAM = `#!/bin/sh
v=$(head -n 1 "$1/VERSION")
echo "$v" >> "$2/started.log"
if [ -e "$2/fail-$v" ]; then exit 1; fi
while [ ! -e "$2/quit" ]; do sleep 0.1; done
rm -f "$2/quit"
`;

const NOBODY = { uid: 65534, gid: 65534 };

function background(args: string[], as: { uid?: number; gid?: number } = {}, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN_TS, ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...as });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done, stderr: () => stderr };
}

describe('agent: the privileged service and the user\'s side (seed 002)', function () {
  this.timeout(60_000);
  let fleet: Fleet;
  before(async function () {
    if (typeof process.getuid !== 'function' || process.getuid() !== 0) this.skip(); // needs root and a second user
    fleet = await startFleet();
  });
  after(async () => {
    await fleet?.close();
    await cleanupTempDirs();
  });

  /** A client machine whose install stays root's (nobody may read it, not write it), and nobody's home with the program. */
  async function nobodysMachine() {
    const m = await machine('1.0.0', fleet.ts.enrollToken);
    await fsp.chmod(m.root, 0o755);
    const home = join(m.root, 'nobody');
    await fsp.mkdir(home);
    await fsp.chown(home, NOBODY.uid, NOBODY.gid);
    const prog = join(home, 'program.sh');
    await fsp.writeFile(prog, PROGRAM, { mode: 0o755 });
    return { m, socket: join(m.root, 'run', 'agent.sock'), home, prog };
  }

  /** nobody's side: the program launched through the service, answering "now". */
  const launchAsNobody = (socket: string, prog: string, install: string, home: string) =>
    background(['launch', '--via-service', '--service-socket', socket, '--answer', 'now', '--interval-scale', '0.01', '--stop-grace', '2',
      '--', '/bin/sh', prog, install, home], NOBODY, { HOME: home });

  /** The versions the program started as, in order (it appends its VERSION to started.log). */
  const startedVersions = async (home: string) => (await fsp.readFile(join(home, 'started.log'), 'utf8').catch(() => '')).trim().split('\n');

  it('the service stages and swaps; nobody\'s launcher only asks, answers and reports the exit', async () => {
    await fleet.setPolicy({ mode: 'auto', delivery: 'on-demand', remindOptionsDays: [1, 3, 7] });
    await fleet.publish('2.0.0', await makePackage('2.0.0'));
    const { m, socket, home, prog } = await nobodysMachine();

    const service = background(['service', '--server', fleet.ts.url, '--token-file', m.tokenFile, '--install', m.install, '--state', m.state,
      '--service-socket', socket, '--socket-group', '65534', '--interval-scale', '0.01', '--startup-delay', '1']);
    try {
      await until(() => existsSync(socket), 'the service to listen');
      // Anyone may connect; the peer check on each connection decides who may speak.
      assert.equal((await fsp.stat(socket)).mode & 0o777, 0o666);

      const user = launchAsNobody(socket, prog, m.install, home);
      const started = () => startedVersions(home);
      // "now": the service stages 2.0.0, nobody's launcher ends the program, the service swaps, the program restarts.
      await until(async () => (await started()).join(',') === '1.0.0,2.0.0', 'the program to restart with 2.0.0', 40_000);
      await assertCompleteVersion(m.install, ['2.0.0']);
      await assertCompleteVersion(`${m.install}_old`, ['1.0.0']);
      assert.equal((await fsp.stat(m.install)).uid, 0, 'the install belongs to root, not to the user\'s side');
      // The user can neither change the install nor rename it, and its own agent commands cannot swap it.
      const sh = (script: string) => new Promise<number | null>((resolve) => spawn('/bin/sh', ['-c', script], { ...NOBODY, stdio: 'ignore' }).on('close', resolve));
      assert.notEqual(await sh(`echo x >> "${m.install}/bin/app.sh"`), 0, 'nobody cannot write an installed file');
      assert.notEqual(await sh(`mv "${m.install}" "${m.install}_x"`), 0, 'nobody cannot rename the install');
      assert.notEqual(await sh(`mv "${m.install}_old" "${m.install}_y"`), 0, 'nobody cannot rename _old');
      const rollback = await runCli(['rollback', '--install', m.install, '--state', m.state], { HOME: home }, NOBODY);
      assert.notEqual(rollback.code, 0, 'nobody\'s rollback fails');
      await assertCompleteVersion(m.install, ['2.0.0']);
      await assertCompleteVersion(`${m.install}_old`, ['1.0.0']);
      await fsp.writeFile(join(home, 'quit'), '');
      const u = await user.done;
      assert.equal(u.code, 0, u.stderr);

      // The wire refuses a request that names a path.
      const reply = await new Promise<string>((resolve, reject) => {
        const c = net.createConnection(socket, () => c.write('{"op":"exited","code":0,"install":"/etc"}\n'));
        let b = '';
        c.on('data', (d: Buffer) => (b += d.toString()));
        c.on('end', () => resolve(b));
        c.on('error', reject);
      });
      assert.match(reply, /"ok":false.*refused request/);

      // A user outside the socket's group is told why, and the program is not started.
      const stranger = await runCli(['launch', '--via-service', '--service-socket', socket, '--', '/bin/sh', '-c', `touch ${home}/stranger-ran`], { HOME: home }, { uid: 12345, gid: 12345 });
      assert.equal(stranger.code, EXIT.failure);
      assert.match(stranger.stderr, /The update service refused: the update service refuses uid 12345 \(pid \d+\): only root and members of group 65534 may ask and answer/);
      assert.ok(!existsSync(join(home, 'stranger-ran')));
    } finally {
      service.child.kill('SIGTERM');
      const s = await service.done;
      assert.equal(s.code, 0, s.stderr);
    }
  });

  it('the service rolls back a new version that exits 1 right after the user\'s side started it', async () => {
    await fleet.setPolicy({ mode: 'auto', delivery: 'on-demand', remindOptionsDays: [1, 3, 7] });
    const { m, socket, home, prog } = await nobodysMachine();
    await fsp.writeFile(join(home, 'fail-3.0.0'), '');
    await fleet.publish('3.0.0', await makePackage('3.0.0'));
    const service = background(['service', '--server', fleet.ts.url, '--token-file', m.tokenFile, '--install', m.install, '--state', m.state,
      '--service-socket', socket, '--socket-group', '65534', '--interval-scale', '0.01', '--startup-delay', '1', '--start-grace', '5']);
    try {
      await until(() => existsSync(socket), 'the service to listen');
      const user = launchAsNobody(socket, prog, m.install, home);
      const started = () => startedVersions(home);
      await until(async () => (await started()).join(',') === '1.0.0,3.0.0,1.0.0', 'the previous version to start again', 40_000);
      await assertCompleteVersion(m.install, ['1.0.0']);
      const id = JSON.parse(await fsp.readFile(join(m.state, 'identity.json'), 'utf8')).clientId as string;
      const d = await fleet.clientDetail(id);
      assert.equal(d.state, 'failed');
      assert.equal(d.reason, 'rolled back: 3.0.0 exited with code 1 at start; 1.0.0 is installed again');
      await fsp.writeFile(join(home, 'quit'), '');
      assert.equal((await user.done).code, 0);
    } finally {
      service.child.kill('SIGTERM');
      await service.done;
    }
  });

  it('the service rolls back a new version whose --health-command fails, and the console shows why', async () => {
    await fleet.setPolicy({ mode: 'auto', delivery: 'on-demand', remindOptionsDays: [1, 3, 7] });
    const { m, socket, home, prog } = await nobodysMachine();
    await fleet.publish('4.0.0', await makePackage('4.0.0'));
    // 4.0.0 starts and keeps running, but its health check fails (the service runs it, as root).
    const health = `test "$(head -n 1 ${m.install}/VERSION)" != 4.0.0`;
    const service = background(['service', '--server', fleet.ts.url, '--token-file', m.tokenFile, '--install', m.install, '--state', m.state,
      '--service-socket', socket, '--socket-group', '65534', '--interval-scale', '0.01', '--startup-delay', '1', '--start-grace', '1', '--health-command', health]);
    try {
      await until(() => existsSync(socket), 'the service to listen');
      const user = launchAsNobody(socket, prog, m.install, home);
      const started = () => startedVersions(home);
      await until(async () => (await started()).join(',') === '1.0.0,4.0.0,1.0.0', 'the previous version to start again', 40_000);
      await assertCompleteVersion(m.install, ['1.0.0']);
      await assertCompleteVersion(`${m.install}_old`, ['4.0.0']);
      const id = JSON.parse(await fsp.readFile(join(m.state, 'identity.json'), 'utf8')).clientId as string;
      const d = await fleet.clientDetail(id);
      assert.equal(d.state, 'failed');
      assert.equal(d.reason, `rolled back: 4.0.0 failed its health check at start (/bin/sh -c ${health} exited with code 1); 1.0.0 is installed again`);
      await fsp.writeFile(join(home, 'quit'), '');
      const u = await user.done;
      assert.equal(u.code, 0, u.stderr);
      assert.match(u.stderr, /4\.0\.0 failed its health check/);
    } finally {
      service.child.kill('SIGTERM');
      await service.done;
    }
  });

  it('the peer check (SO_PEERCRED): a group member by a supplementary group and a listed user are let in, another user is refused with the reason', async () => {
    const m = await machine('1.0.0', fleet.ts.enrollToken);
    await fsp.chmod(m.root, 0o755);
    const socket = join(m.root, 'run', 'agent.sock');
    const users = createGroup('users');
    const member = createUser('in', [users.name]);
    const listed = createUser('ls');
    const stranger = createUser('out');
    const service = background(['service', '--server', fleet.ts.url, '--token-file', m.tokenFile, '--install', m.install, '--state', m.state,
      '--service-socket', socket, '--socket-group', String(users.gid), '--allow-user', String(listed.uid), '--interval-scale', '0.01', '--startup-delay', '3600']);
    try {
      await until(() => existsSync(socket), 'the service to listen');
      const home = join(m.root, 'home');
      await fsp.mkdir(home, { mode: 0o777 });
      await fsp.chmod(home, 0o777);
      const as = (u: { uid: number; gid: number }, marker: string) =>
        runCli(['launch', '--via-service', '--service-socket', socket, '--', '/bin/sh', '-c', `touch ${home}/${marker}`], { HOME: home }, { uid: u.uid, gid: u.gid });

      // The member's primary group is its own: only its supplementary group lets it in.
      assert.notEqual(member.gid, users.gid);
      const a = await as(member, 'member-ran');
      assert.equal(a.code, 0, a.stderr);
      assert.ok(existsSync(join(home, 'member-ran')), 'the allowed user\'s program ran');
      const b = await as(listed, 'listed-ran');
      assert.equal(b.code, 0, b.stderr);
      assert.ok(existsSync(join(home, 'listed-ran')));

      const c = await as(stranger, 'stranger-ran');
      assert.equal(c.code, EXIT.failure);
      assert.match(c.stderr, new RegExp(`The update service refused: the update service refuses uid ${stranger.uid} \\(pid \\d+\\): only root, uid ${listed.uid} and members of group ${users.gid} may ask and answer`));
      assert.ok(!existsSync(join(home, 'stranger-ran')), 'a refused user\'s program is not started');
      // The service says in its log whom it refused.
      await until(() => service.stderr().includes(`refuses uid ${stranger.uid}`), 'the refusal in the service\'s log');
    } finally {
      service.child.kill('SIGTERM');
      await service.done;
      removeTestUsers();
    }
  });

  it('without its peer check the service refuses to start, and says why', async () => {
    // The bundle alone, away from dist/peercred.node and the repository's build folder.
    if (!existsSync(join(REPO, 'dist', 'agent.js'))) throw new Error('Run `npm run build` first.');
    const m = await machine('1.0.0', fleet.ts.enrollToken);
    const lone = join(m.root, 'lone', 'agent.js');
    await fsp.mkdir(join(m.root, 'lone'));
    await fsp.copyFile(join(REPO, 'dist', 'agent.js'), lone);
    const socket = join(m.root, 'run', 'agent.sock');
    const r = await new Promise<CliResult>((resolve) => {
      const child = spawn(process.execPath, [lone, 'service', '--server', fleet.ts.url, '--token-file', m.tokenFile, '--install', m.install, '--state', m.state, '--service-socket', socket],
        { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code, signal) => resolve({ code, signal, stdout: '', stderr }));
    });
    assert.equal(r.code, EXIT.failure, r.stderr);
    assert.match(r.stderr, /The service cannot check who connects to .*agent\.sock: the peercred\.node add-on was not found \(looked in .*lone\/peercred\.node/);
    assert.ok(!existsSync(socket), 'it never listened');
  });

  it('install-service writes the systemd unit, the same as packaging/ for the usual paths', async () => {
    const m = await machine(null);
    await fsp.mkdir(m.state, { recursive: true });
    const config = join(m.state, 'agent.json');
    await fsp.writeFile(config, JSON.stringify({ install: '../app', source: m.root }));
    const r = await runCli(['install-service', '--config', config, '--systemd-dir', join(m.root, 'units')]);
    assert.equal(r.code, 0, r.stderr);
    const unit = await fsp.readFile(join(m.root, 'units', 'update-fleet-agent.service'), 'utf8');
    assert.match(unit, new RegExp(`^ExecStart=${process.execPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} .*main\\.ts service --config ${config.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'));
    assert.equal(await fsp.readFile(join(REPO, 'packaging', 'systemd', 'update-fleet-agent.service'), 'utf8'),
      serviceUnit(['/usr/local/bin/update-fleet-agent'], '/etc/update-fleet/agent.json'));
  });
});
