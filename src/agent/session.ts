// What one agent process knows while it works: its parts (configuration, source, reporter, prompter, log), where
// things live, and the little it remembers within the session (seed 003: "do not ask again" lasts the session;
// a version asked about at start-up is not asked again in the same cycle; under launch, whether the program runs).
// The steps (startup.ts, cycle.ts, install.ts, swap.ts) work on it; agent.ts runs them as commands.
import { updateAgentState, type AgentState } from './agentState';
import type { AgentConfig } from './config';
import type { ExitCode } from './errors';
import type { Identity } from './identity';
import { Journal } from './journal';
import { layoutFor, type Layout } from './layout';
import type { Logger } from './log';
import type { Prompter } from './prompter';
import type { Report, Reporter } from './reporter';
import type { UpdateSource } from './updateSource';

export interface AgentDeps {
  config: AgentConfig;
  identity: Identity;
  /** Needed by check, run and launch; apply, rollback and status work without one. */
  source?: UpdateSource;
  reporter: Reporter;
  prompter: Prompter;
  log: Logger;
  now?: () => Date;
}

export interface CycleResult {
  exitCode: ExitCode;
  /** Unscaled seconds until the next check. */
  nextCheckSeconds: number;
  /** "Do not ask me again", a declined mandatory update, or the server refusing this client: this session checks no more. */
  stopChecking: boolean;
  /** Why, when it is not the user's answer (logged by the run loop). */
  stopBecause?: string;
  /** The user answered "install now" while the program runs: the launcher restarts it with the new version. */
  restartForUpdate?: boolean;
}

/** A check that failed (server unreachable) is retried sooner than a full day later. */
export const RETRY_AFTER_FAILED_CHECK_SECONDS = 900;

export class Session {
  readonly layout: Layout;
  readonly journal: Journal;
  readonly log: Logger;
  readonly now: () => Date;
  /** "Do not ask me again" was chosen: no more checks in this process (seed 003). */
  stoppedForSession = false;
  /** Versions the start-up step already asked about, so the check right after does not ask twice. */
  readonly askedAtStartup = new Set<string>();
  /** Under `launch`: whether the program is stopped, the only time a launcher-mode agent may swap. */
  programStopped = false;
  /** The user answered "install now" while the program runs (launch restarts it). */
  restartWanted = false;
  /** Aborts a question when the program exits meanwhile (the exit step must not wait for an answer). */
  askSignal?: AbortSignal;
  private progressChain: Promise<unknown> = Promise.resolve();

  constructor(readonly d: AgentDeps) {
    this.layout = layoutFor(d.config.install, d.config.state, d.config.keepOld ?? 1);
    this.journal = new Journal(this.layout.state);
    this.log = d.log;
    this.now = d.now ?? (() => new Date());
  }

  /** Whether a granted update is swapped in right away (otherwise it waits for the program's exit or `apply`). */
  get swapsNow(): boolean {
    return this.d.config.applyBy === 'agent' || (this.d.config.applyBy === 'launcher' && this.programStopped);
  }

  /** Progress reports go out in order without holding up the download. */
  progress(report: Report): void {
    this.progressChain = this.progressChain.then(() => this.d.reporter.report(report));
  }

  async send(report: Report): Promise<void> {
    await this.progressChain;
    await this.d.reporter.report(report);
  }

  async remember(change: (s: AgentState) => void): Promise<void> {
    await updateAgentState(this.layout.state, change);
  }

  async rememberFailure(version: string, reason: string): Promise<void> {
    try {
      await this.remember((s) => (s.lastFailure = { version, reason, at: this.now().toISOString() }));
    } catch {
      // A full disk may be the failure itself; the report still goes out.
    }
  }
}
