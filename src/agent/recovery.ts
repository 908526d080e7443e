// At every start, before anything else: finish or undo what a killed process left in the journal.
import { finishApply } from './apply';
import { messageOf, AgentFailure } from './errors';
import { recoverPlan, type Journal } from './journal';
import type { Layout } from './layout';
import type { Logger } from './log';
import type { Reporter } from './reporter';
import { finishStage } from './stage';

export interface RecoveryResult {
  op: string;
  outcome: 'finished' | 'undone';
  message: string;
}

export async function recover(layout: Layout, journal: Journal, reporter: Reporter, log: Logger): Promise<RecoveryResult | undefined> {
  const r = await journal.read();
  if (!r) return undefined;
  const at = r.index < r.steps.length ? `at step "${r.steps[r.index].name}"` : 'after its last step';
  log.warn(`An earlier run stopped in the middle of ${r.op} ${at}; recovering.`);
  try {
    const outcome = await recoverPlan(journal, r);
    const version = String(r.meta.version ?? r.meta.to ?? '');
    let message: string;
    if (outcome === 'undone') {
      message = r.op === 'stage'
        ? `Staging ${version} was interrupted and has been undone; it is retried at the next check.`
        : `The interrupted ${r.op} has been undone; ${String(r.meta.from ?? 'the previous version')} stays installed.`;
    } else if (r.op === 'stage') {
      await finishStage(layout, r);
      message = `Finished staging ${version} in ${layout.pending}.`;
      await reporter.report({ state: 'staged', targetVersion: version, reason: 'Staging finished after an interrupted run' });
    } else if (r.op === 'apply') {
      const installed = await finishApply(layout, r);
      message = `Finished installing ${installed} (the previous version is in ${layout.old}).`;
      await reporter.report({ state: 'up-to-date', version: installed, targetVersion: installed, reason: `Updated from ${String(r.meta.from ?? 'unknown')} to ${installed} (finished after an interrupted run)` });
    } else {
      message = `Finished rolling back to ${String(r.meta.to)}.`;
      await reporter.report({ state: 'up-to-date', version: String(r.meta.to), targetVersion: String(r.meta.to), reason: `Rolled back from ${String(r.meta.from ?? 'unknown')} to ${String(r.meta.to)} on the client` });
    }
    await journal.clear();
    log.info(message);
    return { op: r.op, outcome, message };
  } catch (e) {
    throw new AgentFailure(`Could not recover the interrupted ${r.op}: ${messageOf(e)}`, { cause: e });
  }
}
