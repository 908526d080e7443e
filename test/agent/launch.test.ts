// `update-fleet-agent launch -- <program>` (seed 002) with real child processes: the update is staged in
// <install>_update_pending while the program runs and swapped in only after it exits; a new version that fails to
// start is rolled back and reported; a declined mandatory update ends the program (SIGTERM, then SIGKILL);
// every start first recovers an interrupted swap; the share trick (raise <Current>) installs the same package as
// the new version.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { encodeVersionInfoXml } from '../../src/core/versionInfoXml';
import { CRASH_ENV } from '../../src/agent/crash';
import { EXIT } from '../../src/agent/errors';
import { until } from '../helpers/poll';
import { assertCompleteVersion, cleanupTempDirs, machine, makePackage, MAIN_TS, REPO, runCli, startFleet, tempDir, type CliResult, type Fleet, type Machine } from './helpers';

/** The program: records its pid and version, fails at start when told to, ends when the user "closes" it. */
const PROGRAM = `#!/bin/sh
app="$1"; root="$2"
v=$(head -n 1 "$app/VERSION")
echo "$$ $v" >> "$root/started.log"
if [ -e "$root/fail-$v" ]; then exit 1; fi
if [ -e "$root/ignore-term" ]; then trap '' TERM; fi
while [ ! -e "$root/quit" ]; do sleep 0.1; done
rm -f "$root/quit"
exit 0
`;

interface Launched {
  done: Promise<CliResult>;
  stderr(): string;
}

async function programFor(m: Machine): Promise<string[]> {
  const file = join(m.root, 'program.sh');
  await fsp.writeFile(file, PROGRAM, { mode: 0o755 });
  return ['/bin/sh', file, m.install, m.root];
}

function launchCli(args: string[], program: string[], env: Record<string, string> = {}): Launched {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN_TS, 'launch', ...args, '--', ...program], {
    cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { done, stderr: () => stderr };
}

async function started(m: Machine): Promise<string[]> {
  const text = await fsp.readFile(join(m.root, 'started.log'), 'utf8').catch(() => '');
  return text.trim().split('\n').filter(Boolean).map((l) => l.split(' ')[1]);
}

const readVersion = async (dir: string) => (await fsp.readFile(join(dir, 'VERSION'), 'utf8')).trim();
const quit = (m: Machine) => fsp.writeFile(join(m.root, 'quit'), '');
const clientIdOf = async (m: Machine) => (JSON.parse(await fsp.readFile(join(m.state, 'identity.json'), 'utf8')) as { clientId: string }).clientId;
const fast = ['--interval-scale', '0.01', '--startup-delay', '1', '--start-grace', '2', '--stop-grace', '2'];

describe('agent: launch -- <program> (seed 002: swap when the program has exited)', function () {
  this.timeout(60_000);
  after(cleanupTempDirs);

  describe('against a server', () => {
    let fleet: Fleet;
    beforeEach(async () => {
      fleet = await startFleet();
    });
    afterEach(async () => fleet?.close());
    const serverArgs = (m: Machine) => ['--server', fleet.ts.url, '--token-file', m.tokenFile, '--install', m.install, '--state', m.state, ...fast];

    it('stages a forced update while the program runs and swaps it in after the program exits', async () => {
      await fleet.setPolicy({ mode: 'auto', delivery: 'forced' });
      await fleet.publish('2.0.0', await makePackage('2.0.0'));
      const m = await machine('1.0.0', fleet.ts.enrollToken);
      const program = await programFor(m);
      const first = launchCli(serverArgs(m), program);
      await until(async () => (await started(m)).includes('1.0.0'), 'the program to start');
      await until(() => existsSync(join(`${m.install}_update_pending`, 'VERSION')), 'the update to be staged');
      await assertCompleteVersion(`${m.install}_update_pending`, ['2.0.0']);
      const id = await clientIdOf(m);
      await until(async () => (await fleet.clientDetail(id)).state === 'installed-pending-restart', 'the server to show the staged update');
      // While the program runs, its folder is untouched.
      assert.equal(await readVersion(m.install), '1.0.0');

      await quit(m);
      const r = await first.done;
      assert.equal(r.code, 0, r.stderr);
      await assertCompleteVersion(m.install, ['2.0.0']);
      await assertCompleteVersion(`${m.install}_old`, ['1.0.0']);
      assert.ok(!existsSync(`${m.install}_update_pending`));
      const d = await fleet.clientDetail(id);
      assert.deepEqual([d.state, d.version], ['up-to-date', '2.0.0']);

      // The next start runs the new version.
      const second = launchCli(serverArgs(m), program);
      await until(async () => (await started(m)).at(-1) === '2.0.0', 'the new version to start');
      await until(() => second.stderr().includes('2.0.0 started fine'), 'the start watch to pass');
      await quit(m);
      assert.equal((await second.done).code, 0);
      assert.deepEqual(await started(m), ['1.0.0', '2.0.0']);
    });

    it('rolls back a new version that exits non-zero at start, reports it, and does not take it again', async () => {
      await fleet.setPolicy({ mode: 'auto', delivery: 'forced' });
      await fleet.publish('2.0.0', await makePackage('2.0.0'));
      const m = await machine('1.0.0', fleet.ts.enrollToken);
      const program = await programFor(m);
      await fsp.writeFile(join(m.root, 'fail-2.0.0'), '');
      const first = launchCli(serverArgs(m), program);
      await until(() => existsSync(join(`${m.install}_update_pending`, 'VERSION')), 'the update to be staged');
      await quit(m);
      assert.equal((await first.done).code, 0);
      assert.equal(await readVersion(m.install), '2.0.0');

      const second = launchCli(serverArgs(m), program);
      // 2.0.0 exits 1 at once; the launcher puts 1.0.0 back and starts it.
      await until(async () => (await started(m)).join(',') === '1.0.0,2.0.0,1.0.0', 'the old version to start again');
      const id = await clientIdOf(m);
      const d = await fleet.clientDetail(id);
      assert.equal(d.state, 'failed');
      assert.equal(d.version, '1.0.0');
      assert.equal(d.reason, 'rolled back: 2.0.0 exited with code 1 at start; 1.0.0 is installed again');
      await assertCompleteVersion(m.install, ['1.0.0']);
      await assertCompleteVersion(`${m.install}_old`, ['2.0.0']);
      // The server still forces 2.0.0; this client does not stage it again.
      await until(() => second.stderr().includes('Not installing 2.0.0 again'), 'the next check to skip 2.0.0');
      assert.ok(!existsSync(`${m.install}_update_pending`));
      await quit(m);
      assert.equal((await second.done).code, 0);
    });

    it('rolls back a new version whose health command fails after the grace time', async () => {
      await fleet.setPolicy({ mode: 'auto', delivery: 'forced' });
      await fleet.publish('2.0.0', await makePackage('2.0.0'));
      const m = await machine('1.0.0', fleet.ts.enrollToken);
      const program = await programFor(m);
      // The health check: healthy unless the installed version is 2.0.0.
      const health = ['--health-command', `test "$(head -n 1 '${m.install}/VERSION')" != 2.0.0`];
      const first = launchCli([...serverArgs(m), ...health], program);
      await until(() => existsSync(join(`${m.install}_update_pending`, 'VERSION')), 'the update to be staged');
      await quit(m);
      assert.equal((await first.done).code, 0);

      const second = launchCli([...serverArgs(m), ...health], program);
      await until(async () => (await started(m)).join(',') === '1.0.0,2.0.0,1.0.0', 'the old version to start again');
      const d = await fleet.clientDetail(await clientIdOf(m));
      assert.equal(d.state, 'failed');
      assert.match(d.reason, /^rolled back: 2\.0\.0 failed its health check at start \(.* exited with code 1\); 1\.0\.0 is installed again$/);
      await quit(m);
      assert.equal((await second.done).code, 0);
      await assertCompleteVersion(m.install, ['1.0.0']);
    });

    it('a declined mandatory update ends the program (SIGTERM, then SIGKILL) and the launcher exits 3', async () => {
      await fleet.setPolicy({ mode: 'auto', delivery: 'on-demand', remindOptionsDays: [1, 3, 7] });
      await fleet.publish('2.0.0', await makePackage('2.0.0'), { mandatory: true });
      const m = await machine('1.0.0', fleet.ts.enrollToken);
      const program = await programFor(m);
      await fsp.writeFile(join(m.root, 'ignore-term'), ''); // this program ignores SIGTERM: only SIGKILL ends it
      const l = launchCli([...serverArgs(m), '--answer', 'decline'], program);
      const r = await l.done;
      assert.equal(r.code, EXIT.mustShutDown, r.stderr);
      assert.match(r.stderr, /declined a mandatory update, so the program is being shut down/);
      assert.match(r.stderr, /was ended by SIGKILL \(stopped by the launcher: must-shut-down\)/);
      const pid = Number((await fsp.readFile(join(m.root, 'started.log'), 'utf8')).split(' ')[0]);
      assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the program is gone');
      await assertCompleteVersion(m.install, ['1.0.0']);
      const d = await fleet.clientDetail(await clientIdOf(m));
      assert.equal(d.state, 'declined');
      assert.match(d.reason, /declined the mandatory update to 2\.0\.0/);
    });
  });

  describe('from a network share', () => {
    async function share(pkgVersion: string, current: string): Promise<string> {
      const dir = await tempDir('share');
      const pkg = await makePackage(pkgVersion, { dir });
      await fsp.writeFile(join(dir, 'version_info.xml'), encodeVersionInfoXml({ current, file: `app-${pkgVersion}.tar.gz`, sha256: pkg.sha256, size: pkg.bytes.length, mandatory: false }));
      return dir;
    }

    it('seed 002\'s trick: raise <Current> and the same package is installed and recorded as that version', async () => {
      const dir = await share('3.1.018', '3.1.019'); // the share's setup is 3.1.018; Current raised by hand
      const m = await machine('3.1.018');
      const program = await programFor(m);
      const l = launchCli(['--source', dir, '--install', m.install, '--state', m.state, ...fast], program);
      await until(() => existsSync(join(`${m.install}_update_pending`, 'VERSION')), '_update_pending to appear');
      assert.equal(await readVersion(`${m.install}_update_pending`), '3.1.019');
      await quit(m);
      assert.equal((await l.done).code, 0);
      assert.equal(await readVersion(m.install), '3.1.019');
      await assertCompleteVersion(`${m.install}_old`, ['3.1.018']);
      const reports = (await fsp.readFile(join(m.state, 'reports.log'), 'utf8')).trim().split('\n').map((x) => JSON.parse(x) as { state: string; version?: string });
      assert.deepEqual(reports.at(-1), { ...reports.at(-1), state: 'up-to-date', version: '3.1.019' });
      assert.ok(existsSync(join(m.state, 'downloads')), 'copied to the local folder first');
    });

    it('every start recovers a swap killed between its two renames before the program starts', async () => {
      const dir = await share('2.0.0', '2.0.0');
      const m = await machine('1.0.0');
      const base = ['--source', dir, '--install', m.install, '--state', m.state];
      const c = await runCli(['check', ...base]);
      assert.equal(c.code, 0, c.stderr);
      const k = await runCli(['apply', ...base], { [CRASH_ENV]: 'after:move-current-to-old' });
      assert.equal(k.signal, 'SIGKILL');
      assert.ok(!existsSync(m.install), 'killed between the two renames: no install folder');
      const program = await programFor(m);
      const l = launchCli([...base, ...fast], program);
      await until(async () => (await started(m)).length > 0, 'the program to start');
      assert.deepEqual(await started(m), ['2.0.0'], 'the swap was finished before the program started');
      await quit(m);
      assert.equal((await l.done).code, 0);
      await assertCompleteVersion(`${m.install}_old`, ['1.0.0']);
    });
  });
});
