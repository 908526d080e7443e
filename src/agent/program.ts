// The wrapped program as a child process (launch): started with the launcher's terminal, stopped politely
// (SIGTERM) and then for good (SIGKILL) after a grace period, and its exit observed.
import { spawn, type ChildProcess } from 'node:child_process';
import type { StopRequest } from '../core/launchRules';
import { sleep } from './sleep';

export interface ProgramExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** How long it ran, in ms. */
  ranMs: number;
  /** It could not be started at all (ENOENT, EACCES). */
  error?: string;
}

export interface RunningProgram {
  readonly pid: number | undefined;
  readonly exited: Promise<ProgramExit>;
  readonly hasExited: boolean;
  /** SIGTERM, then SIGKILL after graceMs; resolves when it has exited. */
  stop(graceMs: number): Promise<ProgramExit>;
}

export function startProgram(argv: readonly string[], opts: { stdio?: 'inherit' | 'ignore' } = {}): RunningProgram {
  const started = Date.now();
  let child: ChildProcess;
  let done = false;
  const exited = new Promise<ProgramExit>((resolve) => {
    child = spawn(argv[0], argv.slice(1), { stdio: opts.stdio ?? 'inherit' });
    child.once('error', (e) => {
      done = true;
      resolve({ code: 127, signal: null, ranMs: Date.now() - started, error: e.message });
    });
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal, ranMs: Date.now() - started });
    });
  });
  return {
    get pid() {
      return child.pid;
    },
    exited,
    get hasExited() {
      return done;
    },
    async stop(graceMs) {
      if (!done) child.kill('SIGTERM');
      const ac = new AbortController();
      const first = await Promise.race([exited, sleep(graceMs, ac.signal).then(() => undefined)]);
      ac.abort();
      if (first) return first;
      if (!done) child.kill('SIGKILL');
      return exited;
    },
  };
}

/** The health command after a new version started: ok when it exits 0 within the time limit. */
export async function runHealthCommand(argv: readonly string[], timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  const p = startProgram(argv, { stdio: 'ignore' });
  const ac = new AbortController();
  const timedOut = await Promise.race([p.exited.then(() => false), sleep(timeoutMs, ac.signal).then(() => true)]);
  ac.abort();
  if (timedOut) {
    await p.stop(1000);
    return { ok: false, detail: `${argv.join(' ')} did not answer within ${Math.round(timeoutMs / 1000)} s` };
  }
  const r = await p.exited;
  if (r.error) return { ok: false, detail: `${argv[0]} could not run: ${r.error}` };
  if (r.code === 0) return { ok: true, detail: 'ok' };
  return { ok: false, detail: `${argv.join(' ')} exited with ${r.signal ? r.signal : `code ${String(r.code)}`}` };
}

/**
 * The program one launch runs, as both launchers (direct and through the service) watch it: stopped once, for the
 * first reason given (the launcher itself stopping included); `running` is aborted when it has exited.
 */
export interface SupervisedProgram {
  readonly prog: RunningProgram;
  readonly running: AbortSignal;
  /** Why the launcher stopped it; 'none' when it ended by itself. */
  readonly stop: StopRequest;
  requestStop(why: StopRequest): void;
  /** Waits for the exit and lets go of the launcher's signal. */
  exited(): Promise<ProgramExit>;
}

export function superviseProgram(argv: readonly string[], graceMs: number, launcherSignal?: AbortSignal): SupervisedProgram {
  const prog = startProgram(argv);
  const running = new AbortController();
  let stop: StopRequest = 'none';
  const requestStop = (why: StopRequest): void => {
    if (stop !== 'none' || prog.hasExited) return;
    stop = why;
    void prog.stop(graceMs);
  };
  const onLauncherStop = (): void => requestStop('launcher-stopping');
  launcherSignal?.addEventListener('abort', onLauncherStop, { once: true });
  void prog.exited.then(() => running.abort());
  return {
    prog,
    running: running.signal,
    get stop() { return stop; },
    requestStop,
    async exited() {
      const exit = await prog.exited;
      launcherSignal?.removeEventListener('abort', onLauncherStop);
      running.abort();
      return exit;
    },
  };
}
