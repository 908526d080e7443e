// What the policy editor warns about (no vscode import: bundled into the webview and unit-tested).
import type { Policy, ReleaseState } from '../core/types';

/** A policy pinned to a version clients will not get: revoked, retired or not yet approved. */
export function pinnedWarning(p: Pick<Policy, 'mode' | 'pinnedVersion'>, versions: readonly { version: string; state: ReleaseState }[]): string | undefined {
  if (p.mode !== 'pinned' || !p.pinnedVersion) return undefined;
  const v = versions.find((x) => x.version === p.pinnedVersion);
  if (!v) return undefined; // validation says so
  if (v.state === 'revoked') return `${v.version} is revoked (rolled back): clients of this group will not be upgraded to it. Pin an approved version.`;
  if (v.state === 'retired') return `${v.version} is no longer supported (retired): clients of this group will not be upgraded to it. Pin an approved version.`;
  if (v.state === 'pending') return `${v.version} is not approved yet (download, test, and then approve): clients wait until it is.`;
  return undefined;
}
