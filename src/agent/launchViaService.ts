// `launch --via-service -- <program>`: the launcher in the user's session when a privileged service owns the
// install (seed 002). It starts the program, asks the service what is pending, puts the service's questions to the
// user here (terminal, desktop dialog or --answer), ends the program when the service says a declined mandatory
// update requires it (exit 3) or restarts it after "install now", and tells the service when the program exited so
// the service swaps. It never touches the install itself.
import { stepAtExit } from '../core/launchRules';
import type { ServiceResponse } from '../core/serviceWire';
import type { AgentConfig } from './config';
import { AgentFailure, EXIT, messageOf } from './errors';
import type { Logger } from './log';
import { superviseProgram } from './program';
import type { Prompter } from './prompter';
import { askService } from './serviceClient';
import { sleep } from './sleep';

export interface RemoteLaunchOptions {
  config: AgentConfig;
  prompter: Prompter;
  log: Logger;
  signal?: AbortSignal;
}

/** How often the user's side asks the service what is pending (scaled like the check interval). */
const POLL_SECONDS = 20;

export async function launchViaService(o: RemoteLaunchOptions): Promise<number> {
  const { config, log, prompter } = o;
  const socket = config.serviceSocket;
  for (;;) {
    // Right before each start: a refused peer learns it at once, and the service notes the start (its start watch).
    try {
      const first = await askService(socket, { op: 'pending' });
      if (!first.ok) {
        log.error(`The update service refused: ${first.error}.`);
        return EXIT.failure;
      }
    } catch (e) {
      log.error(messageOf(e));
      return EXIT.failure;
    }
    const supervised = superviseProgram(config.program, config.stopGraceSeconds * 1000, o.signal);
    const { requestStop } = supervised;
    const running = { signal: supervised.running };

    const follow = async (res: ServiceResponse): Promise<void> => {
      if (!res.ok) return log.warn(`The update service refused: ${res.error}`);
      if (res.message) await prompter.tell?.(res.message);
      if (res.mustShutDown) {
        const why = 'You declined a mandatory update, so the program is being shut down.';
        log.error(why);
        await prompter.tell?.(why);
        requestStop('must-shut-down');
      } else if (res.restartForUpdate) {
        log.info('Restarting the program to install the update now.');
        requestStop('restart-for-update');
      }
    };
    const poll = (async () => {
      while (!running.signal.aborted) {
        await sleep(Math.max(0.2, POLL_SECONDS * config.intervalScale) * 1000, running.signal);
        if (running.signal.aborted) return;
        try {
          const res = await askService(socket, { op: 'pending' });
          await follow(res);
          if (res.ok && res.question && !running.signal.aborted) {
            const answer = await prompter.ask(res.question, running.signal);
            if (running.signal.aborted) return;
            await follow(await askService(socket, { op: 'answer', questionId: res.question.questionId, answer }));
          }
        } catch (e) {
          log.warn(messageOf(e)); // the service may be restarting; ask again next time
        }
      }
    })();

    const exit = await supervised.exited();
    const stop = supervised.stop;
    await poll;
    let startAgain = false;
    try {
      const res = await askService(socket, { op: 'exited', code: exit.code });
      if (res.ok && res.message) {
        log.info(res.message);
        await prompter.tell?.(res.message);
      }
      // The service rolled back a version that failed to start: start the previous one.
      startAgain = res.ok && res.restartForUpdate;
    } catch (e) {
      log.error(e instanceof AgentFailure ? e.message : messageOf(e));
    }
    const step = stepAtExit({ stop, staged: null, code: exit.code });
    if (step.then === 'exit' && !startAgain) return step.exitCode;
  }
}
