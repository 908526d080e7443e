// The server's worker threads: where each one's code is, and the one V8 setting they all need.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { isMainThread, Worker } from 'node:worker_threads';

let configured = false;

/**
 * Threads made from here on compile their optimised code on their own thread, not on V8's shared background ones.
 *
 * Why: Node 20 takes a worker's isolate off its platform before it disposes of it. An optimising compile still
 * running for that isolate on a background thread can then ask the platform for it, and the whole process aborts
 * (`NodePlatform::ForIsolate … Assertion failed: (data.first) != nullptr`, exit code 134). A thread that ends
 * (a server that closes, a preview part that is done) could take the process with it. With the compiles on the
 * thread itself, none of its work outlives it. V8 reads the setting when an isolate starts, so the main thread,
 * whose isolate exists already, keeps its background compiles (and the event loop its short pauses).
 */
export function compileOnOwnThread(): void {
  if (configured || !isMainThread) return;
  configured = true;
  setFlagsFromString('--no-concurrent-recompilation');
}

/**
 * A server thread: dist/<built>.js, which the bundle ships beside dist/server.js, or from source (tests)
 * src/server/<module>.ts through tsx. The heap is small: every thread holds one batch at a time.
 */
export function startThread(source: { built: string; module: string }, workerData: unknown): Worker {
  compileOnOwnThread();
  const built = join(__dirname, `${source.built}.js`);
  const limits = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 };
  if (existsSync(built)) return new Worker(built, { workerData, resourceLimits: limits });
  const code = `require('tsx/cjs'); require(${JSON.stringify(join(__dirname, `${source.module}.ts`))});`;
  return new Worker(code, { eval: true, workerData, resourceLimits: limits });
}
