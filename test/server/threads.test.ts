// The server's threads compile their optimised code on their own thread (threads.ts says why: a thread that ends
// while V8's shared background threads still compile for it can abort the whole process on Node 20). Watched with
// V8's own --trace-opt in a child process: a hot function in a thread started after compileOnOwnThread() is compiled
// synchronously; one on the main thread still in the background; and a thread started before it, in the background.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const threads = join(__dirname, '../../src/server/threads.ts');

/** The compile modes --trace-opt printed for the function `name`. */
function modes(output: string, name: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('[compiling method') && line.includes(`<JSFunction ${name} `))
    .map((line) => /mode: ConcurrencyMode::(\w+)/.exec(line)?.[1] ?? '?');
}

function run(configureFirst: boolean): string {
  const hot = (name: string) =>
    `function ${name}(a, b) { return (a + b * 3) % 1009; } let s = 0; for (let i = 0; i < 3e6; i++) s = ${name}(s, i);`;
  const script = `
    require('tsx/cjs');
    const { Worker } = require('node:worker_threads');
    const { compileOnOwnThread } = require(${JSON.stringify(threads)});
    const start = () => new Worker(${JSON.stringify(hot('threadHot') + ' require("node:worker_threads").parentPort.postMessage(s);')}, { eval: true });
    ${configureFirst ? 'compileOnOwnThread();' : ''}
    const w = start();
    ${hot('mainHot')}
    w.once('message', () => w.terminate());
  `;
  const child = spawnSync(process.execPath, ['--trace-opt', '-e', script], { cwd: join(__dirname, '../..'), encoding: 'utf8', timeout: 60_000 });
  assert.equal(child.status, 0, child.stderr);
  return child.stdout;
}

describe('server threads', function () {
  this.timeout(90_000);

  it('a thread started after compileOnOwnThread() compiles on itself; the main thread keeps its background compiles', () => {
    const out = run(true);
    assert.ok(modes(out, 'threadHot').length > 0, 'the thread function was optimised');
    assert.deepEqual([...new Set(modes(out, 'threadHot'))], ['kSynchronous']);
    assert.ok(modes(out, 'mainHot').includes('kConcurrent'), 'the main thread still compiles in the background');
  });

  it('without it, a thread compiles on the shared background threads (what the setting changes)', () => {
    assert.ok(modes(run(false), 'threadHot').includes('kConcurrent'));
  });
});
