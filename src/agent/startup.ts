// The start-up step (seed 003 "install later": ask at the next start): a staged update the user agreed to is swapped
// in when the program is not running, one waiting for an answer is asked about again.
import { outcomeOfAnswer } from '../core/agentRules';
import { loadAgentState, updateAgentState } from './agentState';
import { declined } from './cycle';
import { EXIT, type ExitCode } from './errors';
import { exists } from './files';
import { installedVersion } from './layout';
import { formatAnswer } from './prompter';
import type { Session } from './session';
import { handToService, swapIn, waitForExit } from './swap';

/** A staged update at start: apply it (consent given), or ask again (the user chose "install later"). */
export async function startup(session: Session): Promise<ExitCode> {
  const st = await loadAgentState(session.layout.state);
  const staged = st.staged;
  if (!staged) return EXIT.ok;
  if (!(await exists(session.layout.pending))) {
    session.log.warn(`The staged update ${staged.version} is gone from ${session.layout.pending}; forgetting it.`);
    await updateAgentState(session.layout.state, (s) => delete s.staged);
    return EXIT.ok;
  }
  const installed = await installedVersion(session.layout);
  if (staged.consent === 'declined') return EXIT.ok;
  if (staged.consent === 'granted') {
    if (session.d.config.applyBy === 'service') {
      session.log.info(`${staged.version} is staged; the update service swaps it in.`);
      return EXIT.ok;
    }
    if (!session.swapsNow) {
      session.log.info(`${staged.version} is staged; it is swapped in when the program is not running (launch, at its exit, or apply).`);
      return EXIT.ok;
    }
    session.log.info(`Applying the staged update ${staged.version} at start-up.`);
    return (await swapIn(session, staged.version)).code;
  }
  // consent 'ask': seed 003 "Install Later": the next time the program starts, ask to install.
  session.askedAtStartup.add(staged.version);
  const answer = await session.d.prompter.ask({
    phase: 'install',
    version: staged.version,
    installedVersion: installed,
    mandatory: staged.mandatory,
    remindOptionsDays: [],
    message: `${staged.version} was downloaded earlier and is ready to install.`,
  }, session.askSignal);
  session.log.info(`The user answered "${formatAnswer(answer)}" to installing the staged ${staged.version}.`);
  const outcome = outcomeOfAnswer(answer, { version: staged.version, mandatory: staged.mandatory, phase: 'staged', now: session.now() });
  if (outcome.outcome === 'install') {
    await updateAgentState(session.layout.state, (s) => s.staged && (s.staged.consent = 'granted'));
    if (session.d.config.applyBy === 'service') return handToService(session, staged.version);
    if (!session.swapsNow) return waitForExit(session, staged.version, true);
    return (await swapIn(session, staged.version)).code;
  }
  if (outcome.outcome === 'wait') return EXIT.ok;
  const r = await declined(session, staged.version, outcome);
  await updateAgentState(session.layout.state, (s) => s.staged && (s.staged.consent = 'declined'));
  return r.exitCode;
}
