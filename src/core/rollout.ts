// A rollout: one release reaching one group. Its progress is read from the counts (never from the clients), its
// halt is a recorded state of its own (halted by the failure rule, paused by an admin), and resuming it starts the
// failure count afresh from the outcomes seen at that moment.
import type { ClientState, Release } from './types';

/** A rollout is not halted on the first few failures: the failure rate needs this many outcomes to mean something. */
export const MIN_OUTCOMES_FOR_HALT = 5;

export type RolloutState = 'running' | 'halted' | 'paused';

/** What the server recorded about one release in one group (store table `rollouts`, migration 0006). */
export interface RolloutRecord {
  releaseId: string;
  groupId: string;
  state: RolloutState;
  /** Why it is halted or paused, or what the last resume reset. */
  reason: string | null;
  /** When and by whom the state last changed ("server" for a halt or a promotion). */
  at: string;
  by: string;
  /** The outcomes counted when the rollout was last resumed: only what happens after counts towards the next halt. */
  baseAttempted: number;
  baseFailed: number;
  /** When a ring promoted the release to this group (null: not promoted, or the group has no ring). */
  promotedAt: string | null;
}

export interface Outcomes {
  attempted: number;
  failed: number;
}

/** Outcomes since the last resume; a failed client that later succeeded can take the count below the base. */
export function outcomesSince(o: Outcomes | undefined, record: Pick<RolloutRecord, 'baseAttempted' | 'baseFailed'> | undefined): Outcomes {
  const attempted = Math.max(0, (o?.attempted ?? 0) - (record?.baseAttempted ?? 0));
  const failed = Math.min(attempted, Math.max(0, (o?.failed ?? 0) - (record?.baseFailed ?? 0)));
  return { attempted, failed };
}

export type HaltCheck = { halted: false } | { halted: true; state: 'halted' | 'paused'; message: string };

const pctText = (n: number): string => (Number.isInteger(n) ? `${n}` : n.toFixed(1));

/**
 * Whether a release's rollout stops here: recorded as halted or paused, or its failure rate since the last resume
 * is above the group's threshold (checked live too, so the halt holds before the server has recorded it).
 */
export function rolloutHalt(release: Pick<Release, 'version'>, thresholdPercent: number, outcomes: Outcomes | undefined, record: RolloutRecord | undefined): HaltCheck {
  if (record?.state === 'paused') {
    return { halted: true, state: 'paused', message: `The rollout of ${release.version} is paused by ${record.by}${record.reason ? `: ${record.reason}` : ''}.` };
  }
  if (record?.state === 'halted') {
    return { halted: true, state: 'halted', message: `The rollout of ${release.version} is halted: ${record.reason ?? 'too many clients failed'}.` };
  }
  const since = outcomesSince(outcomes, record);
  if (since.attempted < MIN_OUTCOMES_FOR_HALT) return { halted: false };
  const rate = (since.failed / since.attempted) * 100;
  if (rate <= thresholdPercent) return { halted: false };
  return { halted: true, state: 'halted', message: `The rollout of ${release.version} is halted: ${haltReason(since, thresholdPercent)}.` };
}

/** "30% failed (6 of 20), above the 20% threshold": the reason recorded with a halt. */
export function haltReason(since: Outcomes, thresholdPercent: number): string {
  const rate = since.attempted === 0 ? 0 : Math.round((since.failed / since.attempted) * 1000) / 10;
  return `${pctText(rate)}% of clients failed (${since.failed} of ${since.attempted}), above the ${thresholdPercent}% threshold`;
}

/** What a resume resets, in words: said to the admin and recorded in the audit entry. */
export function resumeResetText(version: string, outcomes: Outcomes | undefined, thresholdPercent: number): string {
  const o = outcomes ?? { attempted: 0, failed: 0 };
  return `The failure count of ${version} starts again from zero: the ${o.failed} failed of ${o.attempted} finished attempts so far no longer count; ` +
    `the rollout halts again if more than ${thresholdPercent}% of the attempts from now on fail (after at least ${MIN_OUTCOMES_FOR_HALT}).`;
}

export interface RolloutProgress {
  /** Told to update and not yet started (available, deferred, declined). */
  offered: number;
  /** Downloading or staged, waiting for the swap. */
  downloading: number;
  /** Running the release (or installed, waiting for a restart). */
  installed: number;
  failed: number;
  /** Pointed at the release but held: outside the rollout share, the window, a halt, a manual install. */
  waiting: number;
}

export function emptyProgress(): RolloutProgress {
  return { offered: 0, downloading: 0, installed: 0, failed: 0, waiting: 0 };
}

const OFFERED: ReadonlySet<ClientState> = new Set<ClientState>(['available', 'deferred', 'declined']);
const DOWNLOADING: ReadonlySet<ClientState> = new Set<ClientState>(['downloading', 'staged']);

/**
 * One rollout's progress from the counts rows (group, version, state, target): a few hundred rows whatever the
 * fleet's size. A client counts once: on the release it is installed; else by its state towards it.
 */
export function rolloutProgress(
  rows: ReadonlyArray<{ groupId: string; version: string; state: ClientState; targetVersion: string | null; count: number }>,
  version: string,
  groupId: string,
): RolloutProgress {
  const p = emptyProgress();
  for (const r of rows) {
    if (r.groupId !== groupId || !(r.count > 0)) continue;
    if (r.version === version) {
      if (r.state === 'failed' && r.targetVersion === version) p.failed += r.count;
      else p.installed += r.count;
      continue;
    }
    if (r.targetVersion !== version) continue;
    if (r.state === 'failed') p.failed += r.count;
    else if (r.state === 'installed-pending-restart') p.installed += r.count;
    else if (DOWNLOADING.has(r.state)) p.downloading += r.count;
    else if (OFFERED.has(r.state)) p.offered += r.count;
    else p.waiting += r.count;
  }
  return p;
}

/** Clients of the group in any state: what ring percentages are taken of. */
export function groupTotal(rows: ReadonlyArray<{ groupId: string; count: number }>, groupId: string): number {
  let n = 0;
  for (const r of rows) if (r.groupId === groupId && r.count > 0) n += r.count;
  return n;
}
