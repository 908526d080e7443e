// Fleet health at a glance (the status bar, the summary route, the Client Groups tree): counts by health, by stored
// state and by version, from the rows of the counts table — a few hundred whatever the fleet's size.
import { classifyHealth, decideForVersion, type HealthContext } from './health';
import type { Decision } from './types';
import { CLIENT_HEALTHS, type ClientHealth, type ClientState, type HealthSummary, type WaitingReason } from './types';

export interface StateVersionCount {
  state: ClientState;
  version: string;
  count: number;
}

/** A row of the counts table: clients per (group, version, stored state, target version). */
export interface CountRow extends StateVersionCount {
  groupId: string;
  targetVersion: string | null;
}

/** A counted class of clients with its health. */
export interface HealthCount extends CountRow {
  health: ClientHealth;
  waitingFor?: WaitingReason;
}

/** notSeenDays when the server is not told otherwise. */
export const DEFAULT_NOT_SEEN_DAYS = 7;

const pct = (n: number, total: number): number => (total === 0 ? 0 : Math.round((n / total) * 1000) / 10);
const rowKey = (r: CountRow): string => `${r.groupId}\u0000${r.version}\u0000${r.state}\u0000${r.targetVersion ?? ''}`;

/**
 * Every counted class of clients with its health: the rows of clients not seen for notSeenDays (counted apart, off
 * the event loop) are taken out of the live rows and counted as not-seen; the rest are classified against their
 * group's policy now. A group with no context (deleted meanwhile) counts as behind.
 */
export function healthCounts(rows: readonly CountRow[], notSeen: readonly CountRow[], contextOf: (groupId: string) => HealthContext | undefined): HealthCount[] {
  const unseen = new Map<string, number>();
  for (const r of notSeen) if (r.count > 0) unseen.set(rowKey(r), (unseen.get(rowKey(r)) ?? 0) + r.count);
  const out: HealthCount[] = [];
  // decide() depends on the group and the version only: once per pair, not once per row.
  const decisions = new Map<string, Decision>();
  for (const r of rows) {
    if (!(r.count > 0)) continue;
    const gone = Math.min(r.count, unseen.get(rowKey(r)) ?? 0);
    if (gone > 0) out.push({ ...r, count: gone, health: 'not-seen' });
    const seen = r.count - gone;
    if (seen === 0) continue;
    const ctx = contextOf(r.groupId);
    if (!ctx) {
      out.push({ ...r, count: seen, health: 'behind' });
      continue;
    }
    const key = `${r.groupId}\u0000${r.version}`;
    let d = decisions.get(key);
    if (!d) decisions.set(key, (d = decideForVersion(r.version, ctx)));
    const v = classifyHealth(r, ctx, d);
    out.push({ ...r, count: seen, health: v.health, ...(v.waitingFor ? { waitingFor: v.waitingFor } : {}) });
  }
  return out;
}

/** The summary of some counted classes (the fleet, or one group's). Percentages are of the clients seen. */
export function summarize(rows: readonly HealthCount[], notSeenDays: number = DEFAULT_NOT_SEEN_DAYS): HealthSummary {
  const byState: Partial<Record<ClientState, number>> = {};
  const byVersion: Record<string, number> = {};
  const byHealth = Object.fromEntries(CLIENT_HEALTHS.map((h) => [h, 0])) as Record<ClientHealth, number>;
  const waitingFor: Partial<Record<WaitingReason, number>> = {};
  let total = 0;
  for (const r of rows) {
    if (!(r.count > 0)) continue;
    total += r.count;
    byState[r.state] = (byState[r.state] ?? 0) + r.count;
    byVersion[r.version] = (byVersion[r.version] ?? 0) + r.count;
    byHealth[r.health] += r.count;
    if (r.health === 'waiting' && r.waitingFor) waitingFor[r.waitingFor] = (waitingFor[r.waitingFor] ?? 0) + r.count;
  }
  const seen = total - byHealth['not-seen'];
  const upToDate = byHealth['up-to-date'];
  const failed = byHealth.failed;
  return {
    total,
    byState,
    byVersion,
    byHealth,
    waitingFor,
    seen,
    notSeenDays,
    upToDate,
    percentUpToDate: seen === 0 ? 100 : pct(upToDate, seen),
    failed,
    percentFailed: pct(failed, seen),
  };
}

/** "97% up to date · 3 failed": the same words in the status bar and anywhere else a one-liner is needed. */
export function healthLine(s: HealthSummary): string {
  const pctText = Number.isInteger(s.percentUpToDate) ? `${s.percentUpToDate}` : s.percentUpToDate.toFixed(1);
  return s.failed > 0 ? `${pctText}% up to date · ${s.failed} failed` : `${pctText}% up to date`;
}

/** The states in which a client has finished an attempt at its target version: what a rollout halt weighs. */
const OUTCOME_STATES: ReadonlySet<ClientState> = new Set<ClientState>(['failed', 'up-to-date', 'staged', 'installed-pending-restart']);

/** Per target version: clients that finished an attempt, and how many of them failed — from the counts, no scan. */
export function outcomesByTargetVersion(rows: ReadonlyArray<{ state: ClientState; targetVersion: string | null; count: number }>): Map<string, { attempted: number; failed: number }> {
  const out = new Map<string, { attempted: number; failed: number }>();
  for (const r of rows) {
    if (!r.targetVersion || !OUTCOME_STATES.has(r.state) || !(r.count > 0)) continue;
    const o = out.get(r.targetVersion) ?? { attempted: 0, failed: 0 };
    o.attempted += r.count;
    if (r.state === 'failed') o.failed += r.count;
    out.set(r.targetVersion, o);
  }
  return out;
}
