// The swap (seed 002: at shutdown/restart): "<install>" becomes "<install>_old" (replacing an older one) and
// "<install>_update_pending" becomes "<install>". Rollback swaps "<install>_old" back. Every move is a rename,
// journaled, so a kill at any point is finished by the next start; the install folder is always a whole version.
import { dirname } from 'node:path';
import { updateAgentState } from './agentState';
import { AgentFailure, errnoCode, fsFailure } from './errors';
import { exists } from './files';
import { executePlan, newRecord, type Journal, type JournalRecord, type Step } from './journal';
import { readVersionFile, type Layout } from './layout';

export interface SwapResult {
  from: string | null;
  to: string;
}

export function applySteps(layout: Layout): Step[] {
  const g = layout.oldGenerations.length > 0 ? layout.oldGenerations : [layout.old];
  // Retention: the oldest kept generation is discarded, the others move one place down ("_old" → "_old.2" …).
  const shifts: Step[] = [];
  for (let i = g.length - 2; i >= 0; i--) shifts.push({ name: `shift-old-${i + 1}`, kind: 'rename', from: g[i], to: g[i + 1] });
  return [
    { name: 'discard-old', kind: 'rename', from: g[g.length - 1], to: layout.oldDiscard, replace: true },
    ...shifts,
    { name: 'move-current-to-old', kind: 'rename', from: layout.install, to: layout.old },
    { name: 'move-pending-to-install', kind: 'rename', from: layout.pending, to: layout.install },
    { name: 'remove-discarded', kind: 'remove', path: layout.oldDiscard, bestEffort: true },
  ];
}

export function rollbackSteps(layout: Layout): Step[] {
  return [
    { name: 'park-current', kind: 'rename', from: layout.install, to: layout.rollbackPark, replace: false },
    { name: 'restore-old', kind: 'rename', from: layout.old, to: layout.install },
    { name: 'keep-new-as-old', kind: 'rename', from: layout.rollbackPark, to: layout.old },
  ];
}

function swapFailure(e: unknown, layout: Layout, what: string): AgentFailure {
  const code = errnoCode(e);
  if (code === 'EACCES' || code === 'EPERM') {
    return new AgentFailure(
      `Permission denied ${what} ${(e as NodeJS.ErrnoException).path ?? layout.install}: the swap needs write access to ${dirname(layout.install)} (run "update-fleet-agent apply" from the privileged update service)`,
      { cause: e },
    );
  }
  return fsFailure(e, what, layout.install);
}

/** After the swap: the staged update is gone and so is a deferral it answered. Safe to run twice. */
export async function finishApply(layout: Layout, _r: JournalRecord): Promise<string> {
  const version = (await readVersionFile(layout.install)) ?? 'unknown';
  await updateAgentState(layout.state, (s) => {
    delete s.staged;
    delete s.deferred;
    delete s.lastFailure;
  });
  return version;
}

export async function applyStaged(layout: Layout, journal: Journal): Promise<SwapResult> {
  const to = await readVersionFile(layout.pending);
  if (!(await exists(layout.pending))) throw new AgentFailure(`Nothing to apply: ${layout.pending} does not exist`);
  if (to === undefined) throw new AgentFailure(`Nothing to apply: ${layout.pending} has no VERSION file (an incomplete staging?)`);
  const from = (await readVersionFile(layout.install)) ?? null;
  const record = newRecord('apply', applySteps(layout), { from, to });
  try {
    await executePlan(journal, record);
  } catch (e) {
    throw swapFailure(e, layout, 'swapping in the new version at');
  }
  const installed = await finishApply(layout, record);
  await journal.clear();
  return { from, to: installed };
}

export async function rollbackInstall(layout: Layout, journal: Journal): Promise<SwapResult> {
  if (!(await exists(layout.old))) throw new AgentFailure(`Nothing to roll back to: ${layout.old} does not exist`);
  const to = await readVersionFile(layout.old);
  if (to === undefined) throw new AgentFailure(`Nothing to roll back to: ${layout.old} has no VERSION file`);
  if (await exists(layout.rollbackPark)) throw new AgentFailure(`${layout.rollbackPark} is in the way of the rollback; move it aside first`);
  const from = (await readVersionFile(layout.install)) ?? null;
  const record = newRecord('rollback', rollbackSteps(layout), { from, to });
  try {
    await executePlan(journal, record);
  } catch (e) {
    throw swapFailure(e, layout, 'rolling back at');
  }
  await journal.clear();
  return { from, to: (await readVersionFile(layout.install)) ?? to };
}
