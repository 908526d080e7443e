// The rollback plan as the console explains it (no vscode import: unit-tested).
import type { RollbackPlanView } from '../core/wire';
import { FleetApiError } from './fleetClient';
import { plural } from './presentation';

/** A 409 may carry the plan: as the body, or under `plan`, or inside `error`. */
export function planFromError(err: unknown): RollbackPlanView | undefined {
  if (!(err instanceof FleetApiError) || err.status !== 409 || typeof err.body !== 'object' || err.body === null) return undefined;
  const b = err.body as Record<string, unknown>;
  for (const cand of [b.plan, b, (b.error as Record<string, unknown> | undefined)?.plan]) {
    if (cand && typeof cand === 'object' && 'targetVersion' in cand && 'affectedClients' in cand) return cand as RollbackPlanView;
  }
  return undefined;
}

/** The version clients will end on: the approved target, or the one that must be approved first. */
export function planTarget(plan: RollbackPlanView): string | null {
  return plan.targetVersion ?? plan.mustApproveVersion;
}

export function describePlan(version: string, plan: RollbackPlanView): string {
  const who = plural(plan.affectedClients, 'client');
  const whence = plan.basis === 'history'
    ? ` — the version ${plan.originClients === 1 ? '1 of them' : `${plan.originClients} of them`} ran before (from their history)`
    : plan.basis === 'highest-below' ? ' — no client history names an earlier version, so the highest version below it' : '';
  const lines = [`${who} on ${version} will move to ${planTarget(plan)}${whence}. ${version} will be revoked.`];
  if (plan.mustApproveVersion) {
    lines.push(`${plan.mustApproveVersion} is not approved: clients can roll back to it only once it is approved. It will be approved as part of this rollback.`);
  }
  return lines.join('\n');
}

