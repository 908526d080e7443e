// A program that leaves a helper running from its install folder: the launcher does not swap while the helper still
// uses the folder (seed 002 swaps when nothing runs from it), says who holds it, and swaps at the next start once
// the helper is gone. The holders are found in /proc, with real processes.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { processesHolding } from '../../src/agent/platform';
import { until } from '../helpers/poll';
import { assertCompleteVersion, cleanupTempDirs, machine, makePackage, runCli, startFleet, tempDir, type Fleet } from './helpers';

const exited = (p: ChildProcess) => new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve())));

describe('agent: programs that still hold the install folder', function () {
  this.timeout(60_000);
  after(cleanupTempDirs);

  it('finds a process by its working folder and by an open file, and no longer once it has ended', async function () {
    if (process.platform !== 'linux') this.skip();
    const dir = await tempDir('held');
    await fsp.mkdir(join(dir, 'app', 'lib'), { recursive: true });
    await fsp.writeFile(join(dir, 'app', 'lib', 'data.txt'), 'x');
    await fsp.mkdir(join(dir, 'app_old'));
    const byCwd = spawn('sleep', ['30'], { cwd: join(dir, 'app', 'lib') });
    const byFile = spawn('/bin/sh', ['-c', `exec 3<"${join(dir, 'app', 'lib', 'data.txt')}"; exec sleep 30`], { cwd: '/' });
    const beside = spawn('sleep', ['30'], { cwd: join(dir, 'app_old') }); // a sibling whose name starts the same is not inside
    try {
      const holders = await until(async () => ((await processesHolding(join(dir, 'app')))?.length === 2 ? processesHolding(join(dir, 'app')) : undefined), 'both holders');
      assert.deepEqual(holders.map((h) => h.pid), [byCwd.pid, byFile.pid].sort((a, b) => a! - b!));
      assert.ok(holders.every((h) => h.command === 'sleep'), JSON.stringify(holders));
    } finally {
      for (const p of [byCwd, byFile, beside]) p.kill('SIGKILL');
      await Promise.all([byCwd, byFile, beside].map(exited));
    }
    assert.deepEqual(await processesHolding(join(dir, 'app')), []);
    assert.equal(await processesHolding(join(dir, 'app'), '/proc', 'win32'), undefined);
  });

  describe('under launch', () => {
    let fleet: Fleet;
    before(async () => {
      fleet = await startFleet();
    });
    after(async () => fleet?.close());

    it('the swap waits while a helper runs from the install, the server hears why, and the next start swaps', async function () {
      if (process.platform !== 'linux') this.skip();
      await fleet.setPolicy({ mode: 'auto', delivery: 'forced' });
      await fleet.publish('2.0.0', await makePackage('2.0.0'));
      const m = await machine('1.0.0', fleet.ts.enrollToken);
      // The program starts a helper that keeps running from the install folder, and exits once 2.0.0 is staged.
      const program = join(m.root, 'program.sh');
      await fsp.writeFile(program, `#!/bin/sh
head -n 1 "$1/VERSION" >> "$2/started.log"
if [ ! -e "$2/helper.pid" ]; then (cd "$1" && exec sleep 60 </dev/null >/dev/null 2>&1) & echo $! > "$2/helper.pid"; fi
while [ ! -e "$1_update_pending" ] && [ "$(head -n 1 "$1/VERSION")" = 1.0.0 ]; do sleep 0.1; done
`, { mode: 0o755 });
      const args = ['launch', '--server', fleet.ts.url, '--token-file', m.tokenFile, '--install', m.install, '--state', m.state,
        '--interval-scale', '0.01', '--startup-delay', '1', '--', '/bin/sh', program, m.install, m.root];
      const helperPid = async () => Number((await fsp.readFile(join(m.root, 'helper.pid'), 'utf8')).trim());
      try {
        const first = await runCli(args);
        assert.equal(first.code, 0, first.stderr);
        const pid = await helperPid();
        assert.match(first.stderr, new RegExp(`2\\.0\\.0 stays staged: pid ${pid} \\(sleep\\) still uses ${m.install.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
        await assertCompleteVersion(m.install, ['1.0.0']);
        await assertCompleteVersion(`${m.install}_update_pending`, ['2.0.0']);
        const id = (JSON.parse(await fsp.readFile(join(m.state, 'identity.json'), 'utf8')) as { clientId: string }).clientId;
        const d = await fleet.clientDetail(id);
        assert.equal(d.state, 'installed-pending-restart');
        assert.match(d.reason, /2\.0\.0 stays staged: pid \d+ \(sleep\) still uses/);

        process.kill(pid, 'SIGKILL');
        await until(() => !existsSync(`/proc/${pid}`), 'the helper to be gone');
        const second = await runCli(args);
        assert.equal(second.code, 0, second.stderr);
        assert.equal((await fsp.readFile(join(m.root, 'started.log'), 'utf8')).trim(), '1.0.0\n2.0.0');
        await assertCompleteVersion(m.install, ['2.0.0']);
        await assertCompleteVersion(`${m.install}_old`, ['1.0.0']);
      } finally {
        const pid = await helperPid().catch(() => undefined);
        if (pid) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      }
    });
  });
});
