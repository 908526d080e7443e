// Download, test, and then approve (seed 000), as the console needs it: who downloaded a package for testing and
// when (an audit entry on the download route), approval refused without a package (and, when the server is
// started that way, without a test download), editing notes and mandatory while a release is pending, and the
// audit log with filters. Functions over the Fleet's public surface, kept apart from fleet.ts on purpose.
import type { AuditEntry, Release } from '../core/types';
import { ApiError } from './errors';
import type { Actor, Fleet } from './fleet';

export const DOWNLOAD_ACTION = 'release.download';

/** A package is there when bytes were uploaded or an external URL with its sha256 was registered. */
export function hasPackage(r: Release): boolean {
  return !!r.artifact.sha256;
}

/** The last test downloads of a release, newest first. */
export async function testDownloads(fleet: Fleet, version: string, limit = 5): Promise<AuditEntry[]> {
  return fleet.store.audit.search({ limit, action: DOWNLOAD_ACTION, target: version });
}

/** Called by the approve route before the lifecycle step: refuses what was not tested. */
export async function assertApprovable(fleet: Fleet, ref: string, requireDownload: boolean): Promise<void> {
  const r = await fleet.resolveRelease(ref);
  if (r.state === 'approved') return; // the lifecycle answers "already approved"
  if (!hasPackage(r)) {
    throw new ApiError(409, 'no-package', `Release ${r.version} has no package yet: upload the package first, then download it, test it and approve it.`);
  }
  if (requireDownload && (await testDownloads(fleet, r.version, 1)).length === 0) {
    throw new ApiError(409, 'not-downloaded', `Nobody has downloaded release ${r.version} for testing yet: download the package and test it before approving it.`);
  }
}

export async function recordDownload(fleet: Fleet, r: Release, actor: Actor): Promise<void> {
  await fleet.audit(actor, DOWNLOAD_ACTION, r.version, { releaseId: r.id, sha256: r.artifact.sha256 ?? null });
}

/** Notes and the mandatory flag may change while the release is pending (before anyone approved those bits). */
export async function editPendingRelease(fleet: Fleet, ref: string, patch: { notes?: string; mandatory?: boolean }, actor: Actor): Promise<Release> {
  const r = await fleet.resolveRelease(ref);
  if (r.state !== 'pending') {
    throw new ApiError(409, 'release-not-pending', `Release ${r.version} is ${r.state}; its notes and mandatory flag can only be changed while it is pending.`);
  }
  const updated: Release = { ...r, ...(patch.notes !== undefined ? { notes: patch.notes } : {}), ...(patch.mandatory !== undefined ? { mandatory: patch.mandatory } : {}) };
  const changes: Record<string, unknown> = {};
  if (updated.notes !== r.notes) changes.notes = { before: r.notes, after: updated.notes };
  if (updated.mandatory !== r.mandatory) changes.mandatory = { before: r.mandatory, after: updated.mandatory };
  if (Object.keys(changes).length === 0) return r;
  await fleet.store.releases.update(updated);
  fleet.invalidate();
  await fleet.audit(actor, 'release.edit', r.version, changes);
  fleet.events.publish({ type: 'release', releaseId: r.id, version: r.version, state: r.state });
  return updated;
}
