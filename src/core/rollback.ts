// Rollback plan (seed 000): rolling back release R moves its clients back to where they came from — the version most
// of them ran before R, read from their history — or, without a history, to the highest approved version below R.
// If that version is not approved, the plan names it as the one to approve first, and says when it is retired
// ("no longer supported"), which the server revives only when asked to.
import type { Release } from './types';
import { compareVersions, isPrerelease } from './version';

/** How many of the affected clients ran each version before the release (from their history, a bounded sample). */
export interface RollbackOrigin {
  version: string;
  clients: number;
}

export type RollbackPlan =
  | {
    ok: true; release: Release; target: Release | null; mustApprove: Release | null; message: string;
    /** The target is retired: approving it revives a version that was no longer supported. */
    revivesRetired: boolean;
    /** Where the target came from: the clients' history, or the highest version below when there is none. */
    basis: 'history' | 'highest-below';
    /** Of the sampled clients, how many came from the target (history basis only). */
    originClients: number;
  }
  | { ok: false; code: 'not-found' | 'not-rollbackable' | 'no-previous-version'; message: string };

export function findRelease(ref: string, releases: readonly Release[]): Release | undefined {
  const byId = releases.find((r) => r.id === ref);
  if (byId) return byId;
  try {
    return releases.find((r) => compareVersions(r.version, ref) === 0 && r.version === ref.trim()) ??
      releases.find((r) => compareVersions(r.version, ref) === 0);
  } catch {
    return undefined;
  }
}

/** Candidates a rollback of `bad` may go to: older versions; a stable release only falls back to stable ones. */
function olderCandidates(bad: Release, releases: readonly Release[]): Release[] {
  const stableOnly = !isPrerelease(bad.version) && bad.channel === 'stable';
  return releases
    .filter((r) => r.id !== bad.id && compareVersions(r.version, bad.version) < 0)
    .filter((r) => !stableOnly || (r.channel === 'stable' && !isPrerelease(r.version)))
    .sort((a, b) => compareVersions(b.version, a.version));
}

/**
 * The approved version clients on a revoked release go back to (null when none is approved yet): the one its
 * rollback chose, while that stays approved; otherwise the highest approved below it.
 */
export function rollbackTargetFor(bad: Release, releases: readonly Release[]): Release | null {
  const chosen = bad.rollbackTo ? releases.find((r) => r.id === bad.rollbackTo) : undefined;
  if (chosen?.state === 'approved' && compareVersions(chosen.version, bad.version) < 0) return chosen;
  return olderCandidates(bad, releases).find((r) => r.state === 'approved') ?? null;
}

/** The origin most clients came from that a rollback may go to (older, registered, not revoked). */
function commonOrigin(older: readonly Release[], origins: readonly RollbackOrigin[]): { release: Release; clients: number } | null {
  const ranked = [...origins].sort((a, b) => b.clients - a.clients || compareVersions(b.version, a.version));
  for (const o of ranked) {
    const r = older.find((x) => x.version === o.version) ?? older.find((x) => compareVersions(x.version, o.version) === 0);
    if (r && r.state !== 'revoked' && o.clients > 0) return { release: r, clients: o.clients };
  }
  return null;
}

export function planRollback(ref: string, releases: readonly Release[], origins: readonly RollbackOrigin[] = []): RollbackPlan {
  const release = findRelease(ref, releases);
  if (!release) return { ok: false, code: 'not-found', message: `No release "${ref}".` };
  if (release.state !== 'approved' && release.state !== 'revoked') {
    return {
      ok: false,
      code: 'not-rollbackable',
      message: `Release ${release.version} is ${release.state}; only an approved release (or a revoked one, to re-run) can be rolled back.`,
    };
  }
  const older = olderCandidates(release, releases);
  if (older.length === 0) {
    return { ok: false, code: 'no-previous-version', message: `There is no version older than ${release.version} to roll back to.` };
  }
  const origin = commonOrigin(older, origins);
  const basis = origin ? 'history' as const : 'highest-below' as const;
  const chosen = origin?.release ?? older.find((r) => r.state === 'approved') ?? older.find((r) => r.state !== 'revoked') ?? older[0];
  const whence = origin ? ` (where ${origin.clients === 1 ? '1 of its clients' : `${origin.clients} of its clients`} came from)` : '';
  const common = { ok: true as const, release, basis, originClients: origin?.clients ?? 0 };
  if (chosen.state === 'approved') {
    return { ...common, target: chosen, mustApprove: null, revivesRetired: false, message: `Clients on ${release.version} go back to ${chosen.version}${whence}.` };
  }
  const retired = chosen.state === 'retired';
  return {
    ...common,
    target: null,
    mustApprove: chosen,
    revivesRetired: retired,
    message: retired
      ? `Clients on ${release.version} would go back to ${chosen.version}${whence}, which is retired (no longer supported): approving it revives it.`
      : `Approve ${chosen.version}${whence} first: clients can only roll back to an approved version (it is ${chosen.state}).`,
  };
}
