// `kill -9` of the launcher at every journal step of staging (while the program runs), of the swap (after the
// program exited) and of the automatic rollback (after a new version failed to start): the next `launch` starts the
// program from a complete install.
import assert from 'node:assert/strict';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applySteps, rollbackSteps } from '../../src/agent/apply';
import { CRASH_ENV } from '../../src/agent/crash';
import { crashPointsOf } from '../../src/agent/journal';
import { layoutFor } from '../../src/agent/layout';
import { stageSteps } from '../../src/agent/stage';
import { until } from '../helpers/poll';
import { assertCompleteVersion, cleanupTempDirs, machine, makePackage, runCli, startFleet, type Fleet, type Machine } from './helpers';

const any = layoutFor('/x/app', '/x/state');
const STAGE_POINTS = [...crashPointsOf({ op: 'stage', steps: stageSteps(any) }), 'during:extract'];
const APPLY_POINTS = crashPointsOf({ op: 'apply', steps: applySteps(any) });
const ROLLBACK_POINTS = crashPointsOf({ op: 'rollback', steps: rollbackSteps(any) });

/** Logs its pid and version; fails at start when told to; exits at once when told to; else runs until quit or staged. */
const PROGRAM = `#!/bin/sh
# Not holding the launcher's output: a killed launcher's test must see its end while this program still runs.
exec </dev/null >/dev/null 2>&1
app="$1"; root="$2"
v=$(head -n 1 "$app/VERSION")
echo "$$ $v" >> "$root/started.log"
if [ -e "$root/fail-$v" ]; then exit 1; fi
if [ -e "$root/once" ]; then exit 0; fi
while [ ! -e "$root/quit" ] && [ ! -e "\${app}_update_pending" ]; do sleep 0.1; done
`;

describe('agent: kill -9 of the launcher at every step; the next launch starts the program', function () {
  this.timeout(90_000);
  let fleet: Fleet;
  before(async () => {
    fleet = await startFleet();
    await fleet.setPolicy({ mode: 'auto', delivery: 'forced' });
    await fleet.publish('2.0.0', await makePackage('2.0.0'));
  });
  after(async () => {
    await fleet?.close();
    await cleanupTempDirs();
  });

  async function setUp(): Promise<{ m: Machine; launch: (env?: Record<string, string>, scale?: string) => ReturnType<typeof runCli>; log: () => Promise<Array<[number, string]>> }> {
    const m = await machine('1.0.0', fleet.ts.enrollToken);
    const program = join(m.root, 'program.sh');
    await fsp.writeFile(program, PROGRAM, { mode: 0o755 });
    // Checks come fast (interval scale 0.01), except in the last launch (scale 1), whose program only starts and exits.
    const launch = (env: Record<string, string> = {}, scale = '0.01') => runCli(['launch', '--server', fleet.ts.url, '--token-file', m.tokenFile, '--install', m.install, '--state', m.state,
      '--interval-scale', scale, '--startup-delay', '1', '--start-grace', '5', '--', '/bin/sh', program, m.install, m.root], env);
    const log = async () => (await fsp.readFile(join(m.root, 'started.log'), 'utf8').catch(() => '')).trim().split('\n').filter(Boolean)
      .map((l) => [Number(l.split(' ')[0]), l.split(' ')[1]] as [number, string]);
    return { m, launch, log };
  }

  /** The killed launcher's program may still run (an orphan): end it as its user would, and wait for it. */
  async function endOrphans(m: Machine, log: () => Promise<Array<[number, string]>>): Promise<void> {
    await fsp.writeFile(join(m.root, 'quit'), '');
    for (const [pid] of await log()) await until(() => !existsSync(`/proc/${pid}`) || (readState(pid) === 'Z'), `program ${pid} to end`);
    await fsp.rm(join(m.root, 'quit'), { force: true });
  }

  /** The next launch: recovery, then the program starts (and exits at once) from a complete install. */
  async function nextLaunchStarts(m: Machine, launch: (env?: Record<string, string>, scale?: string) => ReturnType<typeof runCli>, log: () => Promise<Array<[number, string]>>, allowed: string[]): Promise<void> {
    await fsp.writeFile(join(m.root, 'once'), '');
    const before = (await log()).length;
    const r = await launch({}, '1');
    assert.equal(r.code, 0, r.stderr);
    const started = (await log()).slice(before);
    assert.ok(started.length >= 1, `the program started: ${r.stderr}`);
    const installed = await assertCompleteVersion(m.install, allowed);
    assert.equal(started[started.length - 1][1], installed, 'the program ran the installed version');
    assert.ok(!existsSync(join(m.state, 'journal.json')), 'the journal is finished or undone');
    for (const scratch of ['_update_pending.partial', '_old.discard', '_rollback']) assert.ok(!existsSync(`${m.install}${scratch}`), `${scratch} is cleaned up`);
  }

  for (const point of [...STAGE_POINTS, ...APPLY_POINTS]) {
    it(`killed at "${point}"`, async () => {
      const { m, launch, log } = await setUp();
      const r = await launch({ [CRASH_ENV]: point });
      assert.equal(r.signal, 'SIGKILL', `the launcher was killed (code ${r.code}): ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`crash injected at "${point}"`));
      await endOrphans(m, log);
      await nextLaunchStarts(m, launch, log, ['1.0.0', '2.0.0']);
    });
  }

  for (const point of ROLLBACK_POINTS) {
    it(`killed at "${point}" of the rollback after 2.0.0 failed to start`, async () => {
      const { m, launch, log } = await setUp();
      const first = await launch(); // stages 2.0.0 while 1.0.0 runs, swaps it in at the exit
      assert.equal(first.code, 0, first.stderr);
      await assertCompleteVersion(m.install, ['2.0.0']);
      await fsp.writeFile(join(m.root, 'fail-2.0.0'), '');
      const r = await launch({ [CRASH_ENV]: point });
      assert.equal(r.signal, 'SIGKILL', `the launcher was killed (code ${r.code}): ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`crash injected at "${point}"`));
      await endOrphans(m, log);
      await fsp.rm(join(m.root, 'fail-2.0.0'));
      await nextLaunchStarts(m, launch, log, ['1.0.0', '2.0.0']);
    });
  }
});

function readState(pid: number): string | undefined {
  try {
    return /\) (\w) /.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}
