// Rollback plan (seed 000): rolling back release R moves its clients to the highest approved version below R.
// If no version below R is approved, the plan names the version that must be approved first.
import type { Release } from './types';
import { compareVersions, isPrerelease } from './version';

export type RollbackPlan =
  | { ok: true; release: Release; target: Release | null; mustApprove: Release | null; message: string }
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

/** The approved version clients on a revoked release go back to (null when none is approved yet). */
export function rollbackTargetFor(bad: Release, releases: readonly Release[]): Release | null {
  return olderCandidates(bad, releases).find((r) => r.state === 'approved') ?? null;
}

export function planRollback(ref: string, releases: readonly Release[]): RollbackPlan {
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
  const target = older.find((r) => r.state === 'approved') ?? null;
  if (target) {
    return { ok: true, release, target, mustApprove: null, message: `Clients on ${release.version} go back to ${target.version}.` };
  }
  const mustApprove = older.find((r) => r.state !== 'revoked') ?? older[0];
  return {
    ok: true,
    release,
    target: null,
    mustApprove,
    message: `Approve ${mustApprove.version} first: clients can only roll back to an approved version.`,
  };
}
