// The start watch of the privileged service: the service does not run the program, the user's side does, so the
// service learns of a start from the user's side's "pending" right before it (after an "exited", or the first one)
// and of the end from "exited". A freshly swapped-in version that exits non-zero within --start-grace seconds, or
// whose --health-command fails after them, failed to start (src/core/launchRules.ts). The health command is the
// service's own configuration and runs as the service; when it fails, the service asks the user's side to stop the
// program (its next "pending" answer), and the exit that follows rolls the version back.
import { startFailure } from '../core/launchRules';
import type { Agent } from './agent';
import type { AgentConfig } from './config';
import { HEALTH_TIMEOUT_MS } from './launcher';
import type { Logger } from './log';
import { runHealthCommand } from './program';
import { sleep } from './sleep';

export class ServiceStartWatch {
  private startedAt?: number;
  private expectingStart = true;
  private health?: { ok: boolean; detail: string };
  private stoppedForHealth = false;
  private watch?: AbortController;

  constructor(
    private readonly agent: Agent,
    private readonly config: AgentConfig,
    private readonly log: Logger,
    /** Called when the health command failed while the program runs: stop it (the exit rolls it back). */
    private readonly stopForHealth: (version: string, detail: string) => void,
  ) {}

  /** The user's side asked "pending": when a start is expected, this is it. */
  async noteStart(): Promise<void> {
    if (!this.expectingStart) return;
    this.expectingStart = false;
    this.startedAt = Date.now();
    this.health = undefined;
    this.stoppedForHealth = false;
    const cmd = this.config.healthCommand;
    if (!cmd) return;
    const probation = await this.agent.onProbation();
    if (!probation) return;
    const ac = new AbortController();
    this.watch = ac;
    void (async () => {
      await sleep(this.config.startGraceSeconds * 1000, ac.signal);
      if (ac.signal.aborted) return;
      const health = await runHealthCommand(cmd, HEALTH_TIMEOUT_MS);
      if (ac.signal.aborted) return; // the program ended meanwhile: its exit decides
      this.health = health;
      if (health.ok) return;
      this.stoppedForHealth = true;
      this.log.warn(`${probation.version} failed its health check (${health.detail}); asking the user's side to stop it.`);
      this.stopForHealth(probation.version, health.detail);
    })();
  }

  /** At "exited": why the version on probation failed to start, or undefined. */
  failureAtExit(code: number | null, stoppedByService: boolean): string | undefined {
    this.expectingStart = true;
    this.watch?.abort();
    this.watch = undefined;
    if (this.startedAt === undefined) return undefined;
    return startFailure({
      ranMs: Date.now() - this.startedAt, code, graceMs: this.config.startGraceSeconds * 1000, health: this.health,
      stoppedByLauncher: stoppedByService && !this.stoppedForHealth,
    });
  }
}
