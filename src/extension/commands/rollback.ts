// Roll Back Release…: show the plan first (dry run: target version, clients affected); if the target is not
// approved, offer to approve it as part of the rollback (seed 000); confirm; then carry it out.
import type { RollbackPlanView } from '../../core/wire';
import { FleetApiError } from '../fleetClient';
import { plural } from '../presentation';
import { describePlan, planFromError, planTarget } from '../rollbackPlan';
import { rollbackTargetNote } from '../releaseText';
import { requireClient, requireRole, type FleetServices } from '../services';
import { askNote } from './releaseCommands';
import { resolveRelease } from './pickers';

export const APPROVE_AND_ROLL_BACK = (v: string) => `Approve ${v} and Roll Back`;
/** A retired ("no longer supported") target is not revived without saying so. */
export const REVIVE_AND_ROLL_BACK = (v: string) => `Support ${v} Again and Roll Back`;
export const ROLL_BACK = 'Roll Back';

export async function rollbackRelease(svc: FleetServices, arg?: unknown): Promise<RollbackPlanView | undefined> {
  requireRole(svc, 'operator', 'Rolling back a release');
  const r = await resolveRelease(svc, arg, ['approved', 'revoked'], 'Roll Back Release');
  if (!r) return undefined;
  const client = requireClient(svc);
  const plan = await svc.ui.progress(`Planning the rollback of ${r.version}…`, async () => {
    try {
      return await client.rollback(r.id, { dryRun: true });
    } catch (err) {
      const p = planFromError(err);
      if (p) return p;
      throw err;
    }
  });
  svc.log.info(`Rollback plan for ${r.version}: target ${plan.targetVersion ?? 'none'}, ${plan.affectedClients} clients, must approve ${plan.mustApproveVersion ?? 'nothing'}.`);
  const target = planTarget(plan);
  if (!target) {
    throw new FleetApiError(409, 'no-rollback-target', `There is no earlier version to roll ${r.version} back to.`);
  }
  const mustApprove = !!plan.mustApproveVersion;
  // The server names the target's state in the plan (older servers: look it up).
  const targetRelease = plan.targetState ? { version: target, state: plan.targetState } : (await client.releases().catch(() => [])).find((x) => x.version === target);
  const revive = plan.revivesRetired ?? (mustApprove && targetRelease?.state === 'retired');
  const action = revive ? REVIVE_AND_ROLL_BACK(target) : mustApprove ? APPROVE_AND_ROLL_BACK(plan.mustApproveVersion!) : ROLL_BACK;
  const stateNote = rollbackTargetNote(targetRelease);
  const choice = await svc.ui.confirm(`Roll back ${r.version} to ${target}?`, [describePlan(r.version, plan), ...(stateNote ? [stateNote] : [])].join('\n'), [action]);
  if (choice !== action) return undefined;
  const note = await askNote(svc, `Roll back ${r.version}`);
  if (note === undefined) return undefined;
  const done = await svc.ui.progress(`Rolling back ${r.version} to ${target}…`, () =>
    client.rollback(r.id, { approveTarget: mustApprove, ...(revive ? { reviveRetired: true } : {}), ...(note ? { note } : {}) }),
  );
  svc.log.info(`Rolled back ${r.version} to ${done.targetVersion ?? target}: ${done.affectedClients} clients affected.`);
  await svc.model.reload();
  svc.ui.info(`Rolled back ${r.version}: ${plural(done.affectedClients, 'client')} will move to ${done.targetVersion ?? target}.`);
  return done;
}
