// The agent's commands: recover, check, run, apply, rollback, status, and the hooks `launch` drives
// (src/agent/launcher.ts). The steps themselves live one concept per file: the start-up step (startup.ts), one
// check cycle (cycle.ts), getting an update into place (install.ts), the swap and what follows it (swap.ts); the
// decisions are the pure rules of src/core (agentRules.ts, launchRules.ts).
import { promises as fsp } from 'node:fs';
import { jittered, rolledBackReason } from '../core/launchRules';
import { sameInstalledVersion } from '../core/agentRules';
import { loadAgentState, updateAgentState, type Consent } from './agentState';
import { rollbackInstall, type SwapResult } from './apply';
import { cycle } from './cycle';
import { AgentFailure, EXIT, messageOf, type ExitCode } from './errors';
import { exists } from './files';
import type { Journal } from './journal';
import { installedVersion, readVersionFile, type Layout } from './layout';
import { acquireLock } from './lock';
import type { Logger } from './log';
import { recover, type RecoveryResult } from './recovery';
import { RETRY_AFTER_FAILED_CHECK_SECONDS, Session, type AgentDeps, type CycleResult } from './session';
import { sleep } from './sleep';
import { startup } from './startup';
import { swapIn } from './swap';

export type { AgentDeps, CycleResult };
export { sleep };

export class Agent {
  readonly layout: Layout;
  readonly journal: Journal;
  private readonly s: Session;
  private readonly d: AgentDeps;
  private readonly log: Logger;
  private readonly now: () => Date;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(deps: AgentDeps) {
    this.s = new Session(deps);
    this.d = deps;
    this.layout = this.s.layout;
    this.journal = this.s.journal;
    this.log = this.s.log;
    this.now = this.s.now;
  }

  /** Aborts a question when the program exits meanwhile (set by the launcher). */
  set askSignal(signal: AbortSignal | undefined) {
    this.s.askSignal = signal;
  }

  get sessionStopped(): boolean {
    return this.s.stoppedForSession;
  }

  /** The launcher says whether the program runs; only a stopped program may be swapped (seed 002). */
  setProgramRunning(running: boolean): void {
    this.s.programStopped = !running;
  }

  // ---- commands --------------------------------------------------------------------------------

  /** Finish or undo an interrupted step. Every command runs this first. */
  async recover(): Promise<RecoveryResult | undefined> {
    await fsp.mkdir(this.layout.state, { recursive: true });
    return this.locked(() => recover(this.layout, this.journal, this.d.reporter, this.log));
  }

  /** `check`: the start-up step, then one check cycle. */
  async check(): Promise<ExitCode> {
    return this.guard(async () => {
      await this.recover();
      const start = await this.locked(() => startup(this.s));
      if (start !== EXIT.ok || this.s.stoppedForSession) return start;
      const r = await this.locked(() => cycle(this.s));
      return r.exitCode;
    });
  }

  /** `run`: the start-up step, the first check after the start-up delay, then at the interval the server returns. */
  async run(signal?: AbortSignal): Promise<ExitCode> {
    return this.guard(async () => {
      await this.recover();
      const start = await this.locked(() => startup(this.s));
      if (start === EXIT.mustShutDown) return start;
      if (this.s.stoppedForSession) {
        this.log.info('No update checks for the rest of this session (the user chose "do not ask me again").');
        return EXIT.ok;
      }
      const saved = await loadAgentState(this.layout.state);
      let delay = saved.startupDelaySeconds ?? this.d.config.startupDelaySeconds;
      this.log.info(`First update check in ${this.human(delay)} (${this.d.source?.description ?? 'no source'}).`);
      while (!signal?.aborted) {
        // ±10 %: clients that came back from an outage together do not keep checking in together.
        await sleep(jittered(delay, Math.random()) * this.d.config.intervalScale * 1000, signal);
        if (signal?.aborted) break;
        // The start-up prompt was a different moment; from now on each cycle may ask again (seed 003's timing cycle).
        this.s.askedAtStartup.clear();
        let r: CycleResult;
        try {
          r = await this.locked(() => cycle(this.s));
        } catch (e) {
          this.log.error(messageOf(e));
          r = { exitCode: EXIT.failure, nextCheckSeconds: RETRY_AFTER_FAILED_CHECK_SECONDS, stopChecking: false };
        }
        if (r.exitCode === EXIT.mustShutDown) return r.exitCode;
        if (r.stopChecking) {
          this.log.info(`No update checks for the rest of this session (${r.stopBecause ?? 'the user chose "do not ask me again"'}).`);
          return r.exitCode;
        }
        delay = r.nextCheckSeconds;
        this.log.info(`Next update check in ${this.human(delay)}.`);
      }
      this.log.info('Stopped.');
      return EXIT.ok;
    });
  }

  /** `apply`: the swap, for a service manager at shutdown/boot (seed 002) or by hand. */
  async apply(): Promise<ExitCode> {
    return this.guard(async () => {
      await this.recover();
      return this.locked(async () => {
        const st = await loadAgentState(this.layout.state);
        if (!(await exists(this.layout.pending))) {
          this.log.info(`Nothing to apply: no update is staged in ${this.layout.pending}.`);
          if (st.staged) await updateAgentState(this.layout.state, (s) => delete s.staged);
          return EXIT.ok;
        }
        const consent = st.staged?.consent ?? 'granted';
        if (consent !== 'granted' && this.d.config.answer?.kind !== 'now') {
          this.log.info(`${st.staged?.version ?? 'The staged update'} is waiting for the user's answer (${consent === 'ask' ? 'install later was chosen' : 'it was declined'}); not applying. Give --answer now to apply it anyway.`);
          return EXIT.ok;
        }
        return (await swapIn(this.s, st.staged?.version)).code;
      });
    });
  }

  /** `rollback`: put "<install>_old" back. */
  async rollback(): Promise<ExitCode> {
    return this.guard(async () => {
      await this.recover();
      return this.locked(async () => {
        const before = await installedVersion(this.layout);
        try {
          const r = await rollbackInstall(this.layout, this.journal);
          this.log.info(`Rolled back from ${r.from ?? 'unknown'} to ${r.to}; ${r.from ?? 'the newer version'} is kept in ${this.layout.old}.`);
          await this.d.reporter.report({ state: 'up-to-date', version: r.to, targetVersion: r.to, reason: `Rolled back from ${r.from ?? 'unknown'} to ${r.to} on the client` });
          return EXIT.ok;
        } catch (e) {
          const reason = `Rollback failed: ${messageOf(e)}`;
          this.log.error(reason);
          await this.d.reporter.report({ state: 'failed', version: before, reason });
          return EXIT.failure;
        }
      });
    });
  }

  async status(): Promise<Record<string, unknown>> {
    await this.recover();
    const st = await loadAgentState(this.layout.state);
    const journal = await this.journal.read();
    return {
      clientId: this.d.identity.clientId,
      name: this.d.identity.name,
      computer: this.d.identity.computer,
      ip: this.d.identity.ip,
      user: this.d.identity.user,
      install: this.layout.install,
      installedVersion: (await readVersionFile(this.layout.install)) ?? null,
      staged: st.staged && (await exists(this.layout.pending)) ? { ...st.staged, dir: this.layout.pending } : null,
      previousVersion: (await readVersionFile(this.layout.old)) ?? null,
      deferred: st.deferred && Date.parse(st.deferred.until) > this.now().getTime() ? st.deferred : null,
      lastCheckAt: st.lastCheckAt ?? null,
      lastResult: st.lastResult ?? null,
      onProbation: st.probation ?? null,
      rolledBack: st.rolledBack ?? null,
      journal: journal ? { op: journal.op, step: journal.steps[journal.index]?.name ?? 'finishing' } : null,
    };
  }

  // ---- under `launch` (src/agent/launcher.ts drives these) --------------------------------------------

  /** Before the program starts: recovery, then the start-up step (a granted update is swapped in now). */
  async beforeProgramStart(): Promise<ExitCode> {
    return this.guard(async () => {
      await this.recover();
      this.setProgramRunning(false);
      return this.locked(() => startup(this.s));
    });
  }

  /** A version swapped in (by this or an earlier process) that has not been seen to start yet. */
  async onProbation(): Promise<{ version: string; from: string | null } | undefined> {
    const st = await loadAgentState(this.layout.state);
    const installed = await installedVersion(this.layout);
    if (!st.probation) return undefined;
    if (!sameInstalledVersion(st.probation.version, installed) || !(await exists(this.layout.old))) {
      await this.s.remember((s) => delete s.probation); // replaced by hand meanwhile: nothing to watch or go back to
      return undefined;
    }
    return st.probation;
  }

  /** The new version started fine: it is no longer on probation. */
  async startedFine(version: string): Promise<void> {
    await this.locked(async () => {
      const st = await loadAgentState(this.layout.state);
      if (!st.probation) return; // already cleared (safe to call twice)
      await this.s.remember((s) => delete s.probation);
      this.log.info(`${version} started fine.`);
    });
  }

  /** The first check's delay after a start (seed 002: 5 minutes): the server's, else the configured one. */
  async startupDelaySeconds(): Promise<number> {
    const saved = await loadAgentState(this.layout.state);
    return saved.startupDelaySeconds ?? this.d.config.startupDelaySeconds;
  }

  /** One check while the program runs; never throws. */
  async checkWhileRunning(): Promise<CycleResult> {
    this.setProgramRunning(true);
    this.s.restartWanted = false;
    try {
      const r = await this.locked(() => cycle(this.s));
      return { ...r, restartForUpdate: this.s.restartWanted };
    } catch (e) {
      this.log.error(messageOf(e));
      return { exitCode: EXIT.failure, nextCheckSeconds: RETRY_AFTER_FAILED_CHECK_SECONDS, stopChecking: false };
    }
  }

  /** The program has stopped: swap in a granted staged update (seed 002: at shutdown). */
  async swapAtExit(): Promise<SwapResult | undefined> {
    this.setProgramRunning(false);
    return this.locked(async () => {
      const st = await loadAgentState(this.layout.state);
      if (!st.staged || st.staged.consent !== 'granted' || !(await exists(this.layout.pending))) return undefined;
      this.log.info(`The program has stopped; swapping in ${st.staged.version}.`);
      return (await swapIn(this.s, st.staged.version)).swap;
    });
  }

  /** Whether a granted update waits in <install>_update_pending. */
  async stagedConsent(): Promise<Consent | null> {
    const st = await loadAgentState(this.layout.state);
    return st.staged && (await exists(this.layout.pending)) ? st.staged.consent : null;
  }

  /** The new version failed to start: put the previous one back, remember not to take this version again, report. */
  async rollBackFailedStart(version: string, why: string): Promise<string | undefined> {
    return this.locked(async () => {
      try {
        const r = await rollbackInstall(this.layout, this.journal);
        const reason = rolledBackReason(version, why, r.to);
        this.log.error(`${reason}.`);
        await this.s.remember((s) => {
          delete s.probation;
          s.rolledBack = { version, reason, at: this.now().toISOString() };
          s.lastFailure = { version, reason, at: this.now().toISOString() };
        });
        await this.s.send({ state: 'failed', version: r.to, targetVersion: version, reason });
        return r.to;
      } catch (e) {
        const reason = `${version} ${why}, and the rollback failed: ${messageOf(e)}`;
        this.log.error(reason);
        await this.s.rememberFailure(version, reason);
        await this.s.send({ state: 'failed', version, targetVersion: version, reason });
        return undefined;
      }
    });
  }

  async tellUser(message: string): Promise<void> {
    try {
      await this.d.prompter.tell?.(message);
    } catch {
      // best effort: the log has it too
    }
  }

  // ---- helpers ------------------------------------------------------------------------------------------

  /** One step at a time: across processes by the lock file, within this one (launch: checks, start watch, exit) by a queue. */
  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      const lock = await acquireLock(this.layout.state);
      try {
        return await fn();
      } finally {
        await lock.release();
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Failures outside an update (recovery, a lock held by another process) end the command with exit 1. */
  private async guard(fn: () => Promise<ExitCode>): Promise<ExitCode> {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof AgentFailure)) throw e;
      this.log.error(e.message);
      return EXIT.failure;
    }
  }

  private human(seconds: number): string {
    const s = seconds * this.d.config.intervalScale;
    if (s < 120) return `${Math.round(s * 10) / 10} s`;
    if (s < 7200) return `${Math.round(s / 60)} min`;
    return `${Math.round(s / 360) / 10} h`;
  }
}
