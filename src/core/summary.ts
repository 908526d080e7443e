// Fleet health at a glance (the status bar, the summary route): counts by state and version.
import type { ClientState, HealthSummary } from './types';

export interface StateVersionCount {
  state: ClientState;
  version: string;
  count: number;
}

const pct = (n: number, total: number): number => (total === 0 ? 0 : Math.round((n / total) * 1000) / 10);

/** rows come from a GROUP BY state, version, so a million clients summarise in one pass over a few rows. */
export function summarize(rows: readonly StateVersionCount[]): HealthSummary {
  const byState: Partial<Record<ClientState, number>> = {};
  const byVersion: Record<string, number> = {};
  let total = 0;
  for (const r of rows) {
    if (!(r.count > 0)) continue;
    total += r.count;
    byState[r.state] = (byState[r.state] ?? 0) + r.count;
    byVersion[r.version] = (byVersion[r.version] ?? 0) + r.count;
  }
  const upToDate = byState['up-to-date'] ?? 0;
  const failed = byState.failed ?? 0;
  return {
    total,
    byState,
    byVersion,
    upToDate,
    percentUpToDate: total === 0 ? 100 : pct(upToDate, total),
    failed,
    percentFailed: pct(failed, total),
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
