// What happens to a staged update: swapped in now (with its report and retention), left for the program's exit
// (launch, seed 002), or handed to the privileged update service.
import { spawn } from 'node:child_process';
import { applyStaged, type SwapResult } from './apply';
import { loadAgentState } from './agentState';
import { AgentFailure, EXIT, messageOf, type ExitCode } from './errors';
import { installedVersion } from './layout';
import { swapHeldBy } from '../core/launchRules';
import { processesHolding } from './platform';
import { cleanDownloads } from './retention';
import type { Session } from './session';

/** The swap, with its report. */
export async function swapIn(session: Session, expected?: string): Promise<{ code: ExitCode; swap?: SwapResult }> {
  const before = await installedVersion(session.layout);
  const held = swapHeldBy(await processesHolding(session.layout.install).catch(() => undefined), expected ?? 'The staged update', session.layout.install);
  if (held) {
    session.log.warn(`${held}.`);
    await session.send({ state: 'installed-pending-restart', version: before, targetVersion: expected ?? null, reason: held });
    return { code: EXIT.ok };
  }
  try {
    const r = await applyStaged(session.layout, session.journal);
    const restartHint = session.d.config.applyBy === 'launcher' ? '' : ' Restart the program to use the new version.';
    session.log.info(`Installed ${r.to} (was ${r.from ?? 'not installed'}; kept in ${session.layout.old}).${restartHint}`);
    await session.remember((s) => {
      delete s.rolledBack;
      s.probation = { version: r.to, from: r.from };
    });
    await session.send({ state: 'up-to-date', version: r.to, targetVersion: r.to, reason: `Updated from ${r.from ?? 'nothing'} to ${r.to}` });
    await retain(session);
    return { code: EXIT.ok, swap: r };
  } catch (e) {
    const reason = e instanceof AgentFailure ? e.message : `Unexpected error: ${messageOf(e)}`;
    session.log.error(`Installing ${expected ?? 'the staged update'} failed: ${reason}. ${before} stays installed.`);
    if (expected) await session.rememberFailure(expected, reason);
    await session.send({ state: 'failed', version: before, targetVersion: expected ?? null, reason });
    return { code: EXIT.failure };
  }
}

/** Launcher mode while the program runs: the staged update waits for the program's exit (seed 002). */
export async function waitForExit(session: Session, version: string, restart: boolean): Promise<ExitCode> {
  if (restart) session.restartWanted = true;
  const when = restart ? 'the program is restarted now to install it' : 'it is swapped in when the program exits';
  session.log.info(`${version} is staged in ${session.layout.pending}; ${when}.`);
  await session.send({
    state: 'installed-pending-restart',
    version: await installedVersion(session.layout),
    targetVersion: version,
    reason: `${version} is staged in ${session.layout.pending}; ${when}`,
  });
  return EXIT.ok;
}

/** The staged update waits for the privileged `apply` (seed 002's update service). */
export async function handToService(session: Session, version: string): Promise<ExitCode> {
  const cmd = session.d.config.applyCommand;
  await session.send({
    state: 'installed-pending-restart',
    version: await installedVersion(session.layout),
    targetVersion: version,
    reason: `${version} is staged in ${session.layout.pending}; the update service swaps it in${cmd && cmd.length > 0 ? ' now' : ' at the next restart'}`,
  });
  if (cmd && cmd.length > 0) {
    try {
      const child = spawn(cmd[0], cmd.slice(1), { stdio: 'ignore', detached: true });
      child.on('error', (e) => session.log.warn(`Could not start the update service (${cmd.join(' ')}): ${e.message}`));
      child.unref();
      session.log.info(`${version} is staged; started the update service: ${cmd.join(' ')}`);
    } catch (e) {
      session.log.warn(`Could not start the update service (${cmd.join(' ')}): ${messageOf(e)}`);
    }
  } else {
    session.log.info(`${version} is staged; the update service swaps it in at the next restart.`);
  }
  return EXIT.ok;
}

/** Retention: old downloads beyond the configured number go (the staged package stays). Never fails an update. */
export async function retain(session: Session): Promise<void> {
  try {
    const st = await loadAgentState(session.layout.state);
    const removed = await cleanDownloads(session.layout.downloads, session.d.config.keepDownloads ?? 2, st.staged?.packageFile);
    if (removed.length > 0) session.log.info(`Removed ${removed.length} old download${removed.length === 1 ? '' : 's'} from ${session.layout.downloads}.`);
  } catch (e) {
    session.log.warn(`Could not clean ${session.layout.downloads}: ${messageOf(e)}`);
  }
}
