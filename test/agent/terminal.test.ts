// The question in the user's session, answered the way a person does: the launcher runs in a real terminal
// (tmux), the test reads the screen (capture-pane) and types the answer (send-keys). "n" (install now) restarts
// the program with the new version.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { until } from '../helpers/poll';
import { cleanupTempDirs, machine, makePackage, MAIN_TS, REPO, startFleet, type Fleet } from './helpers';

const PROGRAM = `#!/bin/sh
v=$(head -n 1 "$1/VERSION")
echo "$v" >> "$2/started.log"
while [ ! -e "$2/quit" ]; do sleep 0.1; done
rm -f "$2/quit"
`;

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe('agent: the update question at a terminal (tmux)', function () {
  this.timeout(60_000);
  let fleet: Fleet;
  const socket = `uf-agent-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  const screen = () => tmux('capture-pane', '-p', '-t', 'agent');
  before(async () => {
    fleet = await startFleet();
  });
  after(async () => {
    try {
      tmux('kill-server'); // only the tmux server this test started (its own socket)
    } catch {
      // already gone
    }
    await fleet?.close();
    await cleanupTempDirs();
  });

  it('asks in the terminal; "n" stops the program, swaps, and starts the new version', async () => {
    await fleet.setPolicy({ mode: 'auto', delivery: 'on-demand', remindOptionsDays: [1, 3, 7] });
    await fleet.publish('2.0.0', await makePackage('2.0.0'));
    const m = await machine('1.0.0', fleet.ts.enrollToken);
    const prog = join(m.root, 'program.sh');
    await fsp.writeFile(prog, PROGRAM, { mode: 0o755 });
    const cmd = [process.execPath, '--import', 'tsx', MAIN_TS, 'launch', '--server', fleet.ts.url, '--token-file', m.tokenFile,
      '--install', m.install, '--state', m.state, '--interval-scale', '0.01', '--startup-delay', '1', '--start-grace', '1',
      '--', '/bin/sh', prog, m.install, m.root].map(q).join(' ');
    tmux('new-session', '-d', '-s', 'agent', '-x', '200', '-y', '50', '-c', REPO, `${cmd}; echo "launcher exit $?"; sleep 60`);

    await until(() => /Update 2\.0\.0 is available \(installed: 1\.0\.0\)/.test(screen()) && /> *$/m.test(screen()), 'the question on the screen');
    const shown = screen();
    assert.match(shown, /\[n\]ow {2}\[l\]ater {2}\[1\] remind me in 1 day {2}\[3\] remind me in 3 days {2}\[7\] remind me in 7 days/);
    tmux('send-keys', '-t', 'agent', 'n', 'Enter');

    const started = async () => (await fsp.readFile(join(m.root, 'started.log'), 'utf8').catch(() => '')).trim().split('\n');
    await until(async () => (await started()).join(',') === '1.0.0,2.0.0', 'the program to be restarted with 2.0.0');
    await fsp.writeFile(join(m.root, 'quit'), '');
    await until(() => /launcher exit 0/.test(screen()), 'the launcher to end');
    assert.equal((await fsp.readFile(join(m.install, 'VERSION'), 'utf8')).trim(), '2.0.0');
    assert.equal((await fsp.readFile(join(`${m.install}_old`, 'VERSION'), 'utf8')).trim(), '1.0.0');
  });
});
