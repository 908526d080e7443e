// `update-fleet-agent launch [options] -- <program> [args…]`: the launcher stub (in the manner of Squirrel's) of
// seed 002. Before each start it finishes or undoes an interrupted swap (recovery) and swaps in an update the user
// agreed to; it starts the program, checks after the start-up delay and then at the interval (±10 % jitter),
// stages updates into <install>_update_pending while the program runs, and swaps them in once the program has
// exited. A declined mandatory update ends the program (SIGTERM, then SIGKILL). A new version that fails to start
// (exits early, or fails the health command) is rolled back and reported. The decisions are pure
// (src/core/launchRules.ts); this file only carries them out.
import { jittered, startFailure, stepAtExit, type StopRequest } from '../core/launchRules';
import type { Agent, CycleResult } from './agent';
import type { AgentConfig } from './config';
import { EXIT } from './errors';
import type { Logger } from './log';
import { runHealthCommand, superviseProgram, type ProgramExit, type RunningProgram } from './program';
import { sleep } from './sleep';

export interface LaunchOptions {
  agent: Agent;
  config: AgentConfig;
  log: Logger;
  /** Aborted when the launcher itself is told to stop (SIGTERM at shutdown, Ctrl-C). */
  signal?: AbortSignal;
  random?: () => number;
}

/** Health commands get this long to answer. */
export const HEALTH_TIMEOUT_MS = 60_000;

export async function launch(o: LaunchOptions): Promise<number> {
  const { agent, config, log } = o;
  const random = o.random ?? Math.random;
  let checking = true;
  for (;;) {
    const pre = await agent.beforeProgramStart();
    if (pre === EXIT.mustShutDown) {
      const why = 'The mandatory update was declined, so the program cannot start.';
      log.error(why);
      await agent.tellUser(why);
      return EXIT.mustShutDown;
    }
    if (agent.sessionStopped) checking = false;
    const swap = await agent.onProbation();
    if (o.signal?.aborted) return EXIT.ok;

    log.info(`Starting ${config.program.join(' ')}${swap ? ` (the new version ${swap.version}, watched for ${config.startGraceSeconds} s)` : ''}.`);
    const supervised = superviseProgram(config.program, config.stopGraceSeconds * 1000, o.signal);
    const { prog, requestStop } = supervised;
    const running = { signal: supervised.running };
    agent.setProgramRunning(true);
    agent.askSignal = running.signal;

    // A fresh swap is watched: the new version must survive the grace time and pass the health command.
    let health: { ok: boolean; detail: string } | undefined;
    let stoppedForHealth = false;
    const watch = swap
      ? (async () => {
          await sleep(config.startGraceSeconds * 1000, running.signal);
          if (prog.hasExited) return;
          if (config.healthCommand) {
            health = await runHealthCommand(config.healthCommand, HEALTH_TIMEOUT_MS);
            if (!health.ok) {
              if (!prog.hasExited) {
                stoppedForHealth = true;
                await prog.stop(config.stopGraceSeconds * 1000);
              }
              return;
            }
          }
          if (!prog.hasExited) await agent.startedFine(swap.version);
        })()
      : Promise.resolve();

    const checks = checking
      ? checkLoop(agent, config, running.signal, random, log).then(async (r) => {
          if (!r || running.signal.aborted) return;
          if (r.stopChecking) checking = false;
          if (r.exitCode === EXIT.mustShutDown) {
            const why = 'You declined a mandatory update, so the program is being shut down.';
            log.error(why);
            await agent.tellUser(why);
            requestStop('must-shut-down');
          } else if (r.restartForUpdate) {
            log.info('Restarting the program to install the update now.');
            requestStop('restart-for-update');
          }
        })
      : Promise.resolve();

    const exit: ProgramExit = await supervised.exited();
    const stop = supervised.stop;
    await Promise.all([watch, checks]);
    agent.askSignal = undefined;
    describeExit(log, config, exit, stop);

    if (swap) {
      const failed = startFailure({
        ranMs: exit.ranMs, code: exit.code, signal: exit.signal, graceMs: config.startGraceSeconds * 1000,
        health, stoppedByLauncher: stop !== 'none' && !stoppedForHealth,
      });
      if (failed) {
        const restored = await agent.rollBackFailedStart(swap.version, failed);
        if (restored === undefined) return EXIT.failure;
        await agent.tellUser(`The update to ${swap.version} ${failed}; ${restored} was put back.`);
        if (o.signal?.aborted) return EXIT.ok;
        continue; // start the version that worked
      }
      // Ended by itself (or by the launcher) after a good start: the new version is no longer on probation.
      if (!exit.error) await agent.startedFine(swap.version);
    }

    const consent = await agent.stagedConsent();
    const step = stepAtExit({ stop, staged: consent ? { consent } : null, code: exit.code });
    if (step.swap) await agent.swapAtExit();
    if (step.then === 'exit') return step.exitCode;
    // restart: the loop swaps nothing more (done above) and starts the program again.
  }
}

/** Checks while the program runs; returns the cycle that ends them (or undefined when the program exited first). */
export async function checkLoop(agent: Agent, config: AgentConfig, signal: AbortSignal, random: () => number, log: Logger): Promise<CycleResult | undefined> {
  let delay = await agent.startupDelaySeconds();
  log.info(`First update check in ${Math.round(delay * config.intervalScale * 10) / 10} s.`);
  while (!signal.aborted) {
    await sleep(jittered(delay, random()) * config.intervalScale * 1000, signal);
    if (signal.aborted) return undefined;
    const r = await agent.checkWhileRunning();
    if (r.exitCode === EXIT.mustShutDown || r.restartForUpdate || r.stopChecking) return r;
    delay = r.nextCheckSeconds;
  }
  return undefined;
}

function describeExit(log: Logger, config: AgentConfig, exit: ProgramExit, stop: StopRequest): void {
  const how = exit.error ? `could not start (${exit.error})` : exit.signal ? `was ended by ${exit.signal}` : `exited with code ${String(exit.code)}`;
  const why = stop === 'none' ? '' : ` (stopped by the launcher: ${stop})`;
  log.info(`${config.program[0]} ${how}${why}.`);
}

export type { RunningProgram };
