// The agent: one check cycle (check in, follow the decision, report), the start-up step (a staged update is
// applied, or the user is asked again after "install later"), the run loop, apply, rollback and status.
// The decision rules come from the seeds: 000 (force vs on-demand with reminders), 002 (start-up delay, interval,
// stage beside the install, swap at restart) and 003 (same build: no prompt; declined mandatory: shut down;
// "do not ask again": no more checks this session; "install later": ask at the next start).
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import type { ClientState } from '../core/types';
import { outcomeOfAnswer, sameInstalledVersion, stepForCheck, type AnswerOutcome } from '../core/agentRules';
import { jittered, rolledBackReason } from '../core/launchRules';
import type { CheckinResponse } from '../core/wire';
import { loadAgentState, updateAgentState, type AgentState, type Consent } from './agentState';
import { applyStaged, rollbackInstall, type SwapResult } from './apply';
import type { AgentConfig } from './config';
import { downloadPackage } from './download';
import { AgentFailure, EXIT, messageOf, type ExitCode } from './errors';
import { exists } from './files';
import type { Identity } from './identity';
import { Journal } from './journal';
import { installedVersion, layoutFor, readVersionFile, type Layout } from './layout';
import { acquireLock } from './lock';
import type { Logger } from './log';
import { formatAnswer, type Prompter } from './prompter';
import { recover, type RecoveryResult } from './recovery';
import type { Report, Reporter } from './reporter';
import { stagePackage } from './stage';
import type { UpdateSource } from './updateSource';
import { verifyPackage } from './verify';
import { cleanDownloads } from './retention';
import { sleep } from './sleep';

export { sleep };

export interface AgentDeps {
  config: AgentConfig;
  identity: Identity;
  /** Needed by check and run; apply, rollback and status work without one. */
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
  /** "Do not ask me again" or a declined mandatory update: this session checks no more. */
  stopChecking: boolean;
  /** The user answered "install now" while the program runs: the launcher restarts it with the new version. */
  restartForUpdate?: boolean;
}

/** A check that failed (server unreachable) is retried sooner than a full day later. */
const RETRY_AFTER_FAILED_CHECK_SECONDS = 900;


export class Agent {
  readonly layout: Layout;
  readonly journal: Journal;
  private readonly log: Logger;
  private readonly now: () => Date;
  /** "Do not ask me again" was chosen: no more checks in this process (seed 003). */
  private stoppedForSession = false;
  /** Versions the start-up step already asked about, so the check right after does not ask twice. */
  private askedAtStartup = new Set<string>();
  private progressChain: Promise<unknown> = Promise.resolve();
  private queue: Promise<unknown> = Promise.resolve();
  /** Under `launch`: whether the program is stopped, the only time a launcher-mode agent may swap. */
  private programStopped = false;
  /** The user answered "install now" while the program runs (launch restarts it). */
  private restartWanted = false;
  /** Aborts a question when the program exits meanwhile (the exit step must not wait for an answer). */
  askSignal?: AbortSignal;

  constructor(private readonly d: AgentDeps) {
    this.layout = layoutFor(d.config.install, d.config.state, d.config.keepOld ?? 1);
    this.journal = new Journal(this.layout.state);
    this.log = d.log;
    this.now = d.now ?? (() => new Date());
  }

  get sessionStopped(): boolean {
    return this.stoppedForSession;
  }

  /** The launcher says whether the program runs; only a stopped program may be swapped (seed 002). */
  setProgramRunning(running: boolean): void {
    this.programStopped = !running;
  }

  /** Whether a granted update is swapped in right away (otherwise it waits for the program's exit or `apply`). */
  private get swapsNow(): boolean {
    return this.d.config.applyBy === 'agent' || (this.d.config.applyBy === 'launcher' && this.programStopped);
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
      const start = await this.locked(() => this.startup());
      if (start !== EXIT.ok || this.stoppedForSession) return start;
      const r = await this.locked(() => this.cycle());
      return r.exitCode;
    });
  }

  /** `run`: the start-up step, the first check after the start-up delay, then at the interval the server returns. */
  async run(signal?: AbortSignal): Promise<ExitCode> {
    return this.guard(async () => {
      await this.recover();
      const start = await this.locked(() => this.startup());
      if (start === EXIT.mustShutDown) return start;
      if (this.stoppedForSession) {
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
        this.askedAtStartup.clear();
        let r: CycleResult;
        try {
          r = await this.locked(() => this.cycle());
        } catch (e) {
          this.log.error(messageOf(e));
          r = { exitCode: EXIT.failure, nextCheckSeconds: RETRY_AFTER_FAILED_CHECK_SECONDS, stopChecking: false };
        }
        if (r.exitCode === EXIT.mustShutDown) return r.exitCode;
        if (r.stopChecking) {
          this.log.info('No update checks for the rest of this session (the user chose "do not ask me again").');
          return EXIT.ok;
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
        return (await this.swapIn(st.staged?.version)).code;
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
      journal: journal ? { op: journal.op, step: journal.steps[journal.index]?.name ?? 'finishing' } : null,
    };
  }

  // ---- the start-up step -------------------------------------------------------------------------

  /** A staged update at start: apply it (consent given), or ask again (the user chose "install later"). */
  async startup(): Promise<ExitCode> {
    const st = await loadAgentState(this.layout.state);
    const staged = st.staged;
    if (!staged) return EXIT.ok;
    if (!(await exists(this.layout.pending))) {
      this.log.warn(`The staged update ${staged.version} is gone from ${this.layout.pending}; forgetting it.`);
      await updateAgentState(this.layout.state, (s) => delete s.staged);
      return EXIT.ok;
    }
    const installed = await installedVersion(this.layout);
    if (staged.consent === 'declined') return EXIT.ok;
    if (staged.consent === 'granted') {
      if (this.d.config.applyBy === 'service') {
        this.log.info(`${staged.version} is staged; the update service swaps it in.`);
        return EXIT.ok;
      }
      if (!this.swapsNow) {
        this.log.info(`${staged.version} is staged; it is swapped in when the program is not running (launch, at its exit, or apply).`);
        return EXIT.ok;
      }
      this.log.info(`Applying the staged update ${staged.version} at start-up.`);
      return (await this.swapIn(staged.version)).code;
    }
    // consent 'ask': seed 003 "Install Later": the next time the program starts, ask to install.
    this.askedAtStartup.add(staged.version);
    const answer = await this.d.prompter.ask({
      phase: 'install',
      version: staged.version,
      installedVersion: installed,
      mandatory: staged.mandatory,
      remindOptionsDays: [],
      message: `${staged.version} was downloaded earlier and is ready to install.`,
    }, this.askSignal);
    this.log.info(`The user answered "${formatAnswer(answer)}" to installing the staged ${staged.version}.`);
    const outcome = outcomeOfAnswer(answer, { version: staged.version, mandatory: staged.mandatory, phase: 'staged', now: this.now() });
    if (outcome.outcome === 'install') {
      await updateAgentState(this.layout.state, (s) => s.staged && (s.staged.consent = 'granted'));
      if (this.d.config.applyBy === 'service') return this.handToService(staged.version);
      if (!this.swapsNow) return this.waitForExit(staged.version, true);
      return (await this.swapIn(staged.version)).code;
    }
    if (outcome.outcome === 'wait') return EXIT.ok;
    const r = await this.declined(staged.version, outcome);
    await updateAgentState(this.layout.state, (s) => s.staged && (s.staged.consent = 'declined'));
    return r.exitCode;
  }

  // ---- one check cycle -------------------------------------------------------------------------------

  /** Check in, follow the decision, report. Never throws for an update failure: it is reported and returned. */
  async cycle(): Promise<CycleResult> {
    const source = this.d.source;
    if (!source) throw new AgentFailure('No update source configured');
    const installed = await installedVersion(this.layout);
    const st = await loadAgentState(this.layout.state);
    const now = this.now();
    const deferral = st.deferred && Date.parse(st.deferred.until) > now.getTime() ? st.deferred : undefined;
    let agentState: ClientState | undefined;
    if (st.staged && (await exists(this.layout.pending))) {
      // Seed 002: with the swap left to the update service, the new version is installed at the next restart.
      agentState = st.staged.consent === 'granted' && this.d.config.applyBy !== 'agent' ? 'installed-pending-restart' : 'staged';
    } else if (deferral) {
      agentState = 'deferred';
    } else if (st.lastFailure) {
      agentState = 'failed'; // the server keeps the failure (and its reason) visible
    }

    let d: CheckinResponse;
    try {
      d = await source.check({ identity: this.d.identity, version: installed, state: agentState, deferredUntil: deferral?.until ?? null });
    } catch (e) {
      this.log.error(messageOf(e));
      await this.remember((s) => {
        s.lastCheckAt = now.toISOString();
        s.lastResult = `check failed: ${messageOf(e)}`;
      });
      return { exitCode: EXIT.failure, nextCheckSeconds: Math.min(st.nextCheckSeconds ?? RETRY_AFTER_FAILED_CHECK_SECONDS, RETRY_AFTER_FAILED_CHECK_SECONDS), stopChecking: false };
    }
    await this.remember((s) => {
      s.lastCheckAt = now.toISOString();
      s.lastResult = `${d.action}${d.version ? ` ${d.version}` : ''}: ${d.message}`;
      s.nextCheckSeconds = d.nextCheckSeconds;
      s.startupDelaySeconds = d.startupDelaySeconds;
      if (st.deferred && !deferral) delete s.deferred; // expired
    });
    this.log.info(`Checked ${source.description}: ${d.action}${d.version ? ` ${d.version}` : ''}${d.message ? ` — ${d.message}` : ''}`);
    const result = (exitCode: ExitCode, stopChecking = false): CycleResult => ({ exitCode, nextCheckSeconds: d.nextCheckSeconds, stopChecking });

    const step = stepForCheck(d, { installed, deferral: deferral ?? null, askedAtStartUp: this.askedAtStartup, rolledBack: st.rolledBack?.version ?? null });
    if (step.step === 'nothing') {
      if (step.why === 'no-update') {
        // Nothing to do any more (up to date, revoked, no upgrade): an old failure no longer applies.
        if (st.lastFailure && !['rollout-halted', 'outside-window', 'deferred-until'].includes(d.reason)) await this.remember((s) => delete s.lastFailure);
      } else if (step.why === 'same-version') {
        this.log.info(`${d.version} is already installed; nothing to do.`);
      } else if (step.why === 'rolled-back') {
        this.log.info(`Not installing ${d.version} again: it failed to start here and was rolled back (${st.rolledBack!.reason}).`);
      } else if (step.why === 'deferred') {
        this.log.info(`Not asking about ${d.version} before ${deferral!.until} (the user asked to be reminded then).`);
      } else {
        this.log.info(`The user was asked about ${d.version} at start-up; asking again at the next check.`);
      }
      return result(EXIT.ok);
    }
    const version = d.version!;
    if (step.step === 'manual') {
      this.log.warn(`Version ${version} must be installed by hand: ${d.message}${d.url ? ` Installer: ${d.url}` : ''}`);
      await this.d.reporter.report({ state: 'manual-required', version: installed, targetVersion: version, reason: d.message || `Install ${version} by hand` });
      return result(EXIT.ok);
    }
    if (step.step === 'install') return result(await this.install(d, installed, 'granted', false));
    const answer = await this.d.prompter.ask({
      phase: 'download',
      version,
      installedVersion: installed,
      mandatory: d.mandatory === true,
      remindOptionsDays: d.remindOptionsDays ?? [],
      message: d.message,
    }, this.askSignal);
    this.log.info(`The user answered "${formatAnswer(answer)}" to the update ${version}.`);
    const outcome = outcomeOfAnswer(answer, { version, mandatory: d.mandatory === true, phase: 'offer', now: this.now(), remindOptionsDays: d.remindOptionsDays });
    if (outcome.outcome === 'install') return result(await this.install(d, installed, outcome.consent, true));
    if (outcome.outcome === 'wait') return result(EXIT.ok);
    const r = await this.declined(version, outcome);
    return { ...r, nextCheckSeconds: d.nextCheckSeconds };
  }

  /** remind:N, decline and never, for an offer or for a staged update at start-up: report it, remember it. */
  private async declined(version: string, o: Extract<AnswerOutcome, { outcome: 'declined' }>): Promise<CycleResult> {
    const installed = await installedVersion(this.layout);
    await this.remember((s) => delete s.lastFailure); // the answer is the client's state now
    if (o.deferredUntil) await this.remember((s) => (s.deferred = { version, until: o.deferredUntil! }));
    if (o.stopChecking && !o.mustShutDown) this.stoppedForSession = true;
    if (o.mustShutDown) this.log.error(`${o.reason}.`);
    else this.log.info(`${o.reason}${o.deferredUntil ? ` (${o.deferredUntil})` : ''}.`);
    await this.d.reporter.report({
      version: installed, targetVersion: version, state: o.state, reason: o.reason, ...(o.deferredUntil ? { deferredUntil: o.deferredUntil } : {}),
    });
    return { exitCode: o.mustShutDown ? EXIT.mustShutDown : EXIT.ok, nextCheckSeconds: 0, stopChecking: o.stopChecking };
  }

  // ---- download, verify, stage, apply ---------------------------------------------------------------

  private progress(report: Report): void {
    this.progressChain = this.progressChain.then(() => this.d.reporter.report(report));
  }

  private async send(report: Report): Promise<void> {
    await this.progressChain;
    await this.d.reporter.report(report);
  }

  /**
   * Download (resuming a .part file), verify, stage into <install>_update_pending, and — with consent and when the
   * agent applies updates itself — swap it in. Any failure is reported with its reason; the install is untouched.
   */
  async install(d: CheckinResponse, installed: string, consent: Consent, byUser: boolean): Promise<ExitCode> {
    const version = d.version!;
    const mandatory = d.mandatory === true;
    try {
      const st = await loadAgentState(this.layout.state);
      const pendingVersion = await readVersionFile(this.layout.pending);
      const reuse = st.staged && pendingVersion !== undefined && sameInstalledVersion(st.staged.version, version) && sameInstalledVersion(pendingVersion, version)
        && (!d.sha256 || d.sha256.toLowerCase() === st.staged.sha256);
      if (reuse) {
        this.log.info(`${version} is already staged in ${this.layout.pending}.`);
        await updateAgentState(this.layout.state, (s) => s.staged && (s.staged.consent = consent));
      } else {
        if (!d.url) throw new AgentFailure(`The update ${version} has no package URL (is the release's artifact uploaded?)`);
        this.log.info(`Downloading ${version}${d.size !== undefined ? ` (${d.size} bytes)` : ''}…`);
        this.progress({ state: 'downloading', version: installed, targetVersion: version, progress: 0 });
        let lastStep = 0;
        const dl = await downloadPackage({
          source: this.d.source!,
          decision: d,
          dir: this.layout.downloads,
          onProgress: (_bytes, pct) => {
            // A report per quarter, not per chunk.
            if (pct !== undefined && pct >= lastStep + 25 && pct < 100) {
              lastStep = pct - (pct % 25);
              this.progress({ state: 'downloading', version: installed, targetVersion: version, progress: lastStep });
            }
          },
        });
        if (dl.resumedAt > 0) this.log.info(`Resumed the download at byte ${dl.resumedAt}.`);
        let sha256: string;
        try {
          sha256 = await verifyPackage(dl.file, { size: d.size, sha256: d.sha256, signature: d.signature }, this.d.config.publicKeyPem);
        } catch (e) {
          // Bytes that fail verification must not be reused by the next attempt.
          await fsp.rm(dl.file, { force: true });
          throw e;
        }
        this.log.info(`Verified ${version} (sha256 ${sha256}${this.d.config.publicKeyPem ? ', signature valid' : ''}); staging it in ${this.layout.pending}.`);
        await stagePackage({
          layout: this.layout, journal: this.journal, packageFile: dl.file, version, sha256, mandatory, consent,
          announcementNamesVersion: this.d.source?.announcementNamesVersion === true,
        });
        await this.retain();
        await this.remember((s) => delete s.lastFailure);
        const why = consent === 'ask'
          ? `Downloaded and staged ${version}; the user chose to install later (asked again at the next start)`
          : `Staged ${version} in ${this.layout.pending}`;
        await this.send({ state: 'staged', version: installed, targetVersion: version, progress: 100, reason: why });
      }
      if (consent !== 'granted') {
        this.log.info(`${version} is staged; the user is asked again at the next start.`);
        return EXIT.ok;
      }
      if (this.d.config.applyBy === 'service') return this.handToService(version);
      if (!this.swapsNow) return await this.waitForExit(version, byUser);
      return (await this.swapIn(version)).code;
    } catch (e) {
      const reason = e instanceof AgentFailure ? e.message : `Unexpected error: ${messageOf(e)}`;
      this.log.error(`The update to ${version} failed: ${reason}. ${installed} stays installed.`);
      await this.rememberFailure(version, reason);
      await this.send({ state: 'failed', version: installed, targetVersion: version, reason });
      return EXIT.failure;
    }
  }

  /** The staged update waits for the privileged `apply` (seed 002's update service). */
  private async handToService(version: string): Promise<ExitCode> {
    const cmd = this.d.config.applyCommand;
    await this.send({
      state: 'installed-pending-restart',
      version: await installedVersion(this.layout),
      targetVersion: version,
      reason: `${version} is staged in ${this.layout.pending}; the update service swaps it in${cmd && cmd.length > 0 ? ' now' : ' at the next restart'}`,
    });
    if (cmd && cmd.length > 0) {
      try {
        const child = spawn(cmd[0], cmd.slice(1), { stdio: 'ignore', detached: true });
        child.on('error', (e) => this.log.warn(`Could not start the update service (${cmd.join(' ')}): ${e.message}`));
        child.unref();
        this.log.info(`${version} is staged; started the update service: ${cmd.join(' ')}`);
      } catch (e) {
        this.log.warn(`Could not start the update service (${cmd.join(' ')}): ${messageOf(e)}`);
      }
    } else {
      this.log.info(`${version} is staged; the update service swaps it in at the next restart.`);
    }
    return EXIT.ok;
  }

  /** Launcher mode while the program runs: the staged update waits for the program's exit (seed 002). */
  private async waitForExit(version: string, restart: boolean): Promise<ExitCode> {
    if (restart) this.restartWanted = true;
    const when = restart ? 'the program is restarted now to install it' : 'it is swapped in when the program exits';
    this.log.info(`${version} is staged in ${this.layout.pending}; ${when}.`);
    await this.send({
      state: 'installed-pending-restart',
      version: await installedVersion(this.layout),
      targetVersion: version,
      reason: `${version} is staged in ${this.layout.pending}; ${when}`,
    });
    return EXIT.ok;
  }

  /** The swap, with its report. */
  private async swapIn(expected?: string): Promise<{ code: ExitCode; swap?: SwapResult }> {
    const before = await installedVersion(this.layout);
    try {
      const r = await applyStaged(this.layout, this.journal);
      const restartHint = this.d.config.applyBy === 'launcher' ? '' : ' Restart the program to use the new version.';
      this.log.info(`Installed ${r.to} (was ${r.from ?? 'not installed'}; kept in ${this.layout.old}).${restartHint}`);
      await this.remember((s) => {
        delete s.rolledBack;
        s.probation = { version: r.to, from: r.from };
      });
      await this.send({ state: 'up-to-date', version: r.to, targetVersion: r.to, reason: `Updated from ${r.from ?? 'nothing'} to ${r.to}` });
      await this.retain();
      return { code: EXIT.ok, swap: r };
    } catch (e) {
      const reason = e instanceof AgentFailure ? e.message : `Unexpected error: ${messageOf(e)}`;
      this.log.error(`Installing ${expected ?? 'the staged update'} failed: ${reason}. ${before} stays installed.`);
      if (expected) await this.rememberFailure(expected, reason);
      await this.send({ state: 'failed', version: before, targetVersion: expected ?? null, reason });
      return { code: EXIT.failure };
    }
  }

  /** Retention: old downloads beyond the configured number go (the staged package stays). Never fails an update. */
  private async retain(): Promise<void> {
    try {
      const st = await loadAgentState(this.layout.state);
      const removed = await cleanDownloads(this.layout.downloads, this.d.config.keepDownloads ?? 2, st.staged?.packageFile);
      if (removed.length > 0) this.log.info(`Removed ${removed.length} old download${removed.length === 1 ? '' : 's'} from ${this.layout.downloads}.`);
    } catch (e) {
      this.log.warn(`Could not clean ${this.layout.downloads}: ${messageOf(e)}`);
    }
  }

  // ---- under `launch` (src/agent/launcher.ts drives these) --------------------------------------------

  /** Before the program starts: recovery, then the start-up step (a granted update is swapped in now). */
  async beforeProgramStart(): Promise<ExitCode> {
    return this.guard(async () => {
      await this.recover();
      this.setProgramRunning(false);
      return this.locked(() => this.startup());
    });
  }

  /** A version swapped in (by this or an earlier process) that has not been seen to start yet. */
  async onProbation(): Promise<{ version: string; from: string | null } | undefined> {
    const st = await loadAgentState(this.layout.state);
    const installed = await installedVersion(this.layout);
    if (!st.probation) return undefined;
    if (!sameInstalledVersion(st.probation.version, installed) || !(await exists(this.layout.old))) {
      await this.remember((s) => delete s.probation); // replaced by hand meanwhile: nothing to watch or go back to
      return undefined;
    }
    return st.probation;
  }

  /** The new version started fine: it is no longer on probation. */
  async startedFine(version: string): Promise<void> {
    this.log.info(`${version} started fine.`);
    await this.locked(() => this.remember((s) => delete s.probation));
  }

  /** The first check's delay after a start (seed 002: 5 minutes): the server's, else the configured one. */
  async startupDelaySeconds(): Promise<number> {
    const saved = await loadAgentState(this.layout.state);
    return saved.startupDelaySeconds ?? this.d.config.startupDelaySeconds;
  }

  /** One check while the program runs; never throws. */
  async checkWhileRunning(): Promise<CycleResult> {
    this.setProgramRunning(true);
    this.restartWanted = false;
    try {
      const r = await this.locked(() => this.cycle());
      return { ...r, restartForUpdate: this.restartWanted };
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
      return (await this.swapIn(st.staged.version)).swap;
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
        await this.remember((s) => {
          delete s.probation;
          s.rolledBack = { version, reason, at: this.now().toISOString() };
          s.lastFailure = { version, reason, at: this.now().toISOString() };
        });
        await this.send({ state: 'failed', version: r.to, targetVersion: version, reason });
        return r.to;
      } catch (e) {
        const reason = `${version} ${why}, and the rollback failed: ${messageOf(e)}`;
        this.log.error(reason);
        await this.rememberFailure(version, reason);
        await this.send({ state: 'failed', version, targetVersion: version, reason });
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

  private async rememberFailure(version: string, reason: string): Promise<void> {
    try {
      await this.remember((s) => (s.lastFailure = { version, reason, at: this.now().toISOString() }));
    } catch {
      // A full disk may be the failure itself; the report still goes out.
    }
  }

  private async remember(change: (s: AgentState) => void): Promise<void> {
    await updateAgentState(this.layout.state, change);
  }

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
