// Rollout rings: a group's policy may wait for another group (the ring before it). A release reaches the group only
// once it succeeded there — enough installed, few enough failed, for long enough — and the server promotes it by
// itself. Releases approved before the ring was set are not held back (the server records them as promoted).
import type { Policy, RingRule } from './types';
import type { RolloutProgress, RolloutRecord } from './rollout';

export const RING_LIMITS = { afterHours: { min: 0, max: 24 * 90 } } as const;

/** Whether the policy's ring still holds a release back from the group (pinned versions are never held). */
export function ringHolds(policy: Policy, record: Pick<RolloutRecord, 'promotedAt'> | undefined): boolean {
  return policy.mode === 'auto' && !!policy.ring && !record?.promotedAt;
}

export type RingVerdict = { promote: true; message: string } | { promote: false; message: string };

const pct = (n: number, total: number): number => (total === 0 ? 0 : Math.round((n / total) * 1000) / 10);

/**
 * Has the release succeeded in the ring group? `startedAt` is when it reached that group (its approval, or the
 * group's own promotion when that group is a ring follower too); `total` is the ring group's clients.
 */
export function ringVerdict(rule: RingRule, ringGroupName: string, version: string, progress: RolloutProgress, total: number, startedAt: string | null, now: Date): RingVerdict {
  if (!startedAt) return { promote: false, message: `${version} has not reached ${ringGroupName} yet.` };
  const hours = (now.getTime() - Date.parse(startedAt)) / 3_600_000;
  if (!(hours >= rule.afterHours)) {
    return { promote: false, message: `${version} has been in ${ringGroupName} for ${Math.max(0, Math.floor(hours))} of ${rule.afterHours} hours.` };
  }
  if (total === 0) return { promote: false, message: `${ringGroupName} has no clients to prove ${version} on.` };
  const installed = pct(progress.installed, total);
  const failed = pct(progress.failed, total);
  if (installed < rule.minInstalledPercent) {
    return { promote: false, message: `${installed}% of ${ringGroupName} run ${version}; the ring needs ${rule.minInstalledPercent}%.` };
  }
  if (failed >= rule.maxFailedPercent) {
    return { promote: false, message: `${failed}% of ${ringGroupName} failed on ${version}; the ring needs less than ${rule.maxFailedPercent}%.` };
  }
  return {
    promote: true,
    message: `${version} succeeded in ${ringGroupName}: ${installed}% installed, ${failed}% failed, after ${Math.floor(hours)} hours (the ring asks ${rule.minInstalledPercent}% installed, under ${rule.maxFailedPercent}% failed, after ${rule.afterHours} hours).`,
  };
}
