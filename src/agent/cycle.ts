// One check cycle: check in (server or share), follow the decision by the pure rules of src/core/agentRules.ts
// (seeds 000 and 003: same build no prompt, force/downgrade without asking, offers asked, reminders honoured),
// and report. The user's refusals (remind, decline, never, a declined mandatory update) are handled here too.
import { isFinalRefusal } from '../core/admission';
import { outcomeOfAnswer, stepForCheck, type AnswerOutcome } from '../core/agentRules';
import type { ClientState } from '../core/types';
import type { CheckinResponse } from '../core/wire';
import { loadAgentState } from './agentState';
import { AgentFailure, DecisionRefused, EXIT, messageOf, type ExitCode } from './errors';
import { exists } from './files';
import { install } from './install';
import { installedVersion } from './layout';
import { formatAnswer } from './prompter';
import { RETRY_AFTER_FAILED_CHECK_SECONDS, type CycleResult, type Session } from './session';

/** A refused client that keeps running (a launcher) asks again only after a day. */
const REFUSED_RETRY_SECONDS = 86_400;

/** Check in, follow the decision, report. Never throws for an update failure: it is reported and returned. */
export async function cycle(session: Session): Promise<CycleResult> {
  const source = session.d.source;
  if (!source) throw new AgentFailure('No update source configured');
  const installed = await installedVersion(session.layout);
  const st = await loadAgentState(session.layout.state);
  const now = session.now();
  const deferral = st.deferred && Date.parse(st.deferred.until) > now.getTime() ? st.deferred : undefined;
  let agentState: ClientState | undefined;
  if (st.staged && (await exists(session.layout.pending))) {
    // Seed 002: with the swap left to the update service, the new version is installed at the next restart.
    agentState = st.staged.consent === 'granted' && session.d.config.applyBy !== 'agent' ? 'installed-pending-restart' : 'staged';
  } else if (deferral) {
    agentState = 'deferred';
  } else if (st.lastFailure) {
    agentState = 'failed'; // the server keeps the failure (and its reason) visible
  }

  let d: CheckinResponse;
  try {
    d = await source.check({ identity: session.d.identity, version: installed, state: agentState, deferredUntil: deferral?.until ?? null });
  } catch (e) {
    const refusal = e instanceof AgentFailure ? e.refusal : undefined;
    await session.remember((s) => {
      s.lastCheckAt = now.toISOString();
      s.lastResult = `check failed: ${messageOf(e)}`;
    });
    if (isFinalRefusal(refusal)) {
      // Decommissioned or rejected: nothing a retry can change, so this session stops asking.
      session.log.error(`${messageOf(e)} No more update checks in this session.`);
      return { exitCode: EXIT.failure, nextCheckSeconds: REFUSED_RETRY_SECONDS, stopChecking: true, stopBecause: `The server refuses this client (${refusal}).` };
    }
    if (refusal === 'pending-admission') {
      session.log.warn(messageOf(e));
      return { exitCode: EXIT.failure, nextCheckSeconds: st.nextCheckSeconds ?? RETRY_AFTER_FAILED_CHECK_SECONDS, stopChecking: false };
    }
    if (e instanceof DecisionRefused) {
      // An answer this agent will not act on is the administrator's business: the console shows why.
      await session.rememberFailure(e.version, e.message);
      await session.send({ state: 'failed', version: installed, targetVersion: e.version || null, reason: e.message });
    }
    session.log.error(messageOf(e));
    return { exitCode: EXIT.failure, nextCheckSeconds: Math.min(st.nextCheckSeconds ?? RETRY_AFTER_FAILED_CHECK_SECONDS, RETRY_AFTER_FAILED_CHECK_SECONDS), stopChecking: false };
  }
  await session.remember((s) => {
    s.lastCheckAt = now.toISOString();
    s.lastResult = `${d.action}${d.version ? ` ${d.version}` : ''}: ${d.message}`;
    s.nextCheckSeconds = d.nextCheckSeconds;
    s.startupDelaySeconds = d.startupDelaySeconds;
    if (st.deferred && !deferral) delete s.deferred; // expired
  });
  session.log.info(`Checked ${source.description}: ${d.action}${d.version ? ` ${d.version}` : ''}${d.message ? ` — ${d.message}` : ''}`);
  const result = (exitCode: ExitCode, stopChecking = false): CycleResult => ({ exitCode, nextCheckSeconds: d.nextCheckSeconds, stopChecking });

  const step = stepForCheck(d, { installed, deferral: deferral ?? null, askedAtStartUp: session.askedAtStartup, rolledBack: st.rolledBack?.version ?? null });
  if (step.step === 'nothing') {
    if (step.why === 'no-update') {
      // Nothing to do any more (up to date, revoked, no upgrade): an old failure no longer applies.
      if (st.lastFailure && !['rollout-halted', 'rollout-paused', 'outside-window', 'deferred-until'].includes(d.reason)) await session.remember((s) => delete s.lastFailure);
    } else if (step.why === 'same-version') {
      session.log.info(`${d.version} is already installed; nothing to do.`);
    } else if (step.why === 'rolled-back') {
      session.log.info(`Not installing ${d.version} again: it failed to start here and was rolled back (${st.rolledBack!.reason}).`);
    } else if (step.why === 'deferred') {
      session.log.info(`Not asking about ${d.version} before ${deferral!.until} (the user asked to be reminded then).`);
    } else {
      session.log.info(`The user was asked about ${d.version} at start-up; asking again at the next check.`);
    }
    return result(EXIT.ok);
  }
  const version = d.version!;
  if (step.step === 'manual') {
    session.log.warn(`Version ${version} must be installed by hand: ${d.message}${d.url ? ` Installer: ${d.url}` : ''}`);
    await session.d.reporter.report({ state: 'manual-required', version: installed, targetVersion: version, reason: d.message || `Install ${version} by hand` });
    return result(EXIT.ok);
  }
  if (step.step === 'install') return result(await install(session, d, installed, 'granted', false));
  const answer = await session.d.prompter.ask({
    phase: 'download',
    version,
    installedVersion: installed,
    mandatory: d.mandatory === true,
    remindOptionsDays: d.remindOptionsDays ?? [],
    message: d.message,
  }, session.askSignal);
  session.log.info(`The user answered "${formatAnswer(answer)}" to the update ${version}.`);
  const outcome = outcomeOfAnswer(answer, { version, mandatory: d.mandatory === true, phase: 'offer', now: session.now(), remindOptionsDays: d.remindOptionsDays });
  if (outcome.outcome === 'install') return result(await install(session, d, installed, outcome.consent, true));
  if (outcome.outcome === 'wait') return result(EXIT.ok);
  const r = await declined(session, version, outcome);
  return { ...r, nextCheckSeconds: d.nextCheckSeconds };
}

/** remind:N, decline and never, for an offer or for a staged update at start-up: report it, remember it. */
export async function declined(session: Session, version: string, o: Extract<AnswerOutcome, { outcome: 'declined' }>): Promise<CycleResult> {
  const installed = await installedVersion(session.layout);
  await session.remember((s) => delete s.lastFailure); // the answer is the client's state now
  if (o.deferredUntil) await session.remember((s) => (s.deferred = { version, until: o.deferredUntil! }));
  if (o.stopChecking && !o.mustShutDown) session.stoppedForSession = true;
  if (o.mustShutDown) session.log.error(`${o.reason}.`);
  else session.log.info(`${o.reason}${o.deferredUntil ? ` (${o.deferredUntil})` : ''}.`);
  await session.d.reporter.report({
    version: installed, targetVersion: version, state: o.state, reason: o.reason, ...(o.deferredUntil ? { deferredUntil: o.deferredUntil } : {}),
  });
  return { exitCode: o.mustShutDown ? EXIT.mustShutDown : EXIT.ok, nextCheckSeconds: 0, stopChecking: o.stopChecking };
}
