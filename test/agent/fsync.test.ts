// Staged files are on disk before the rename that commits them: a real agent process under strace, every fsync and
// rename it makes recorded with the path behind each descriptor. Every file and folder of the staged version is
// fsynced before "<install>_update_pending.partial" is renamed to "<install>_update_pending", and each rename of
// staging and of the swap is followed by an fsync of the folder that holds it.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join, relative } from 'node:path';
import { cleanupTempDirs, filesOf, machine, makePackage, MAIN_TS, REPO, startFleet, type Fleet } from './helpers';

interface Call { call: string; args: string }

function hasStrace(): boolean {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Run the agent CLI under strace; the fsync/rename calls in order (all threads), paths resolved by -y. */
async function traced(args: string[], traceFile: string): Promise<Call[]> {
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('strace', ['-f', '-y', '-qq', '-e', 'trace=fsync,fdatasync,rename,renameat,renameat2', '-o', traceFile,
      process.execPath, '--import', 'tsx', MAIN_TS, ...args], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (c) => (c === 0 ? resolve(c) : reject(new Error(`agent ${args[0]} exited ${c}: ${stderr}`))));
  });
  assert.equal(code, 0);
  const calls: Call[] = [];
  for (const line of (await fsp.readFile(traceFile, 'utf8')).split('\n')) {
    // e.g. `4392  fsync(18</tmp/x/a>) = 0` or `4392  rename("/tmp/a", "/tmp/b") = 0`; failed calls do not count.
    const m = /^\d+\s+(\w+)\((.*)\)\s+=\s+0$/.exec(line.trim());
    if (m) calls.push({ call: m[1], args: m[2] });
  }
  return calls;
}

const synced = (c: Call) => (c.call === 'fsync' || c.call === 'fdatasync' ? /^\d+<(.*)>$/.exec(c.args)?.[1] : undefined);
const renamed = (c: Call, from: string, to: string) => c.call.startsWith('rename') && c.args.includes(`"${from}"`) && c.args.includes(`"${to}"`);

describe('agent: fsync before the commit (strace on a real agent process)', function () {
  this.timeout(120_000);
  let fleet: Fleet;
  before(async function () {
    if (process.platform !== 'linux') this.skip();
    if (!hasStrace()) throw new Error('strace is missing: bash scripts/setup.sh installs it');
    fleet = await startFleet();
    await fleet.setPolicy({ mode: 'auto', delivery: 'forced' });
    await fleet.publish('2.0.0', await makePackage('2.0.0'));
  });
  after(async () => {
    await fleet?.close();
    await cleanupTempDirs();
  });

  it('staging fsyncs every file and folder of the new version, then renames it into place, then fsyncs the parent; the swap fsyncs after each rename', async () => {
    const m = await machine('1.0.0', fleet.ts.enrollToken);
    const partial = `${m.install}_update_pending.partial`;
    const pending = `${m.install}_update_pending`;
    const common = ['--server', fleet.ts.url, '--token-file', m.tokenFile, '--install', m.install, '--state', m.state];

    const stage = await traced(['check', ...common], join(m.root, 'check.strace'));
    const commit = stage.findIndex((c) => renamed(c, partial, pending));
    assert.ok(commit > 0, `the staged folder is committed by a rename: ${JSON.stringify(stage)}`);
    const before = new Set(stage.slice(0, commit).map(synced).filter((p): p is string => p !== undefined));
    const files = Object.keys(filesOf('2.0.0'));
    const folders = ['', ...new Set(files.map((f) => f.split('/').slice(0, -1).join('/')).filter(Boolean))];
    for (const f of files) assert.ok(before.has(join(partial, f)), `${f} is fsynced before the commit (fsynced: ${[...before].map((p) => relative(m.root, p)).join(', ')})`);
    for (const d of folders) assert.ok(before.has(join(partial, d)), `the folder "${d || '.'}" is fsynced before the commit`);
    assert.equal(synced(stage[commit + 1]), m.root, 'the rename itself is flushed: the parent folder is fsynced right after it');

    // The swap: <install> → <install>_old, <install>_update_pending → <install>; each rename flushed before the next step.
    const swap = await traced(['apply', ...common], join(m.root, 'apply.strace'));
    for (const [from, to] of [[m.install, `${m.install}_old`], [pending, m.install]]) {
      const i = swap.findIndex((c) => renamed(c, from, to));
      assert.ok(i >= 0, `${relative(m.root, from)} → ${relative(m.root, to)} is a rename: ${JSON.stringify(swap)}`);
      assert.equal(synced(swap[i + 1]), m.root, `the parent folder is fsynced right after ${relative(m.root, from)} → ${relative(m.root, to)}`);
    }
  });
});
