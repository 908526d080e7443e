// What the server does by itself about rollouts, decided from the counts: record a halt when a group's failure
// threshold trips, and promote a release to the next ring when it succeeded in the ring before. Pure: the server
// reads the counts and the records, asks here, and writes what comes back.
import { targetFor } from './decide';
import { ringVerdict } from './rings';
import { groupTotal, haltReason, outcomesSince, rolloutHalt, rolloutProgress, type Outcomes, type RolloutRecord } from './rollout';
import type { ClientState, Group, Release } from './types';

export type RolloutStep =
  | { kind: 'halt'; release: Release; group: Group; reason: string }
  | { kind: 'promote'; release: Release; group: Group; ringGroup: Group; reason: string };

export interface RolloutFacts {
  releases: readonly Release[];
  groups: readonly Group[];
  rows: ReadonlyArray<{ groupId: string; version: string; state: ClientState; targetVersion: string | null; count: number }>;
  /** Fleet-wide outcomes per target version (what the halt rule weighs). */
  outcomesByVersion: ReadonlyMap<string, Outcomes>;
  records: readonly RolloutRecord[];
  now: Date;
}

/** When the release was approved last (the start of its rollout in groups without a ring). */
export function approvedAt(release: Release): string | null {
  for (let i = release.transitions.length - 1; i >= 0; i--) if (release.transitions[i].to === 'approved') return release.transitions[i].at;
  return null;
}

export function recordsByGroup(records: readonly RolloutRecord[], groupId: string): Record<string, RolloutRecord> {
  const out: Record<string, RolloutRecord> = {};
  for (const r of records) if (r.groupId === groupId) out[r.releaseId] = r;
  return out;
}

export function rolloutSteps(f: RolloutFacts): RolloutStep[] {
  const steps: RolloutStep[] = [];
  const byKey = new Map(f.records.map((r) => [`${r.releaseId}\u0000${r.groupId}`, r]));
  for (const group of f.groups) {
    const rollouts = recordsByGroup(f.records, group.id);
    const facts = { outcomesByRelease: {}, rollouts };
    // Halt: the group's current target, failing above this group's threshold, not yet recorded as stopped.
    const target = targetFor(group.policy, f.releases, facts);
    if (target.ok) {
      const r = target.release;
      const record = rollouts[r.id];
      const o = f.outcomesByVersion.get(r.version);
      if (record?.state !== 'halted' && record?.state !== 'paused' && rolloutHalt(r, group.policy.failureThresholdPercent, o, record).halted) {
        steps.push({ kind: 'halt', release: r, group, reason: haltReason(outcomesSince(o, record), group.policy.failureThresholdPercent) });
      }
    }
    // Ring: approved releases the ring still holds back from this group, newest first; promote the first that succeeded.
    const ring = group.policy.mode === 'auto' ? group.policy.ring : null;
    if (!ring) continue;
    const ringGroup = f.groups.find((g) => g.id === ring.groupId);
    if (!ringGroup || ringGroup.id === group.id) continue;
    for (const r of f.releases) {
      if (r.state !== 'approved' || rollouts[r.id]?.promotedAt) continue;
      const ringRecord = byKey.get(`${r.id}\u0000${ringGroup.id}`);
      if (ringRecord?.state === 'halted' || ringRecord?.state === 'paused') continue;
      const ringHeld = ringGroup.policy.mode === 'auto' && !!ringGroup.policy.ring;
      const startedAt = ringHeld ? ringRecord?.promotedAt ?? null : approvedAt(r);
      const progress = rolloutProgress(f.rows, r.version, ringGroup.id);
      const verdict = ringVerdict(ring, ringGroup.name, r.version, progress, groupTotal(f.rows, ringGroup.id), startedAt, f.now);
      if (verdict.promote) steps.push({ kind: 'promote', release: r, group, ringGroup, reason: verdict.message });
    }
  }
  return steps;
}
