// What the release dialogs say (no vscode import: unit-tested).
import type { AuditEntry } from '../core/types';
import type { ReleaseView } from '../core/wire';
import { isValidVersion } from '../core/version';
import { FleetApiError } from './fleetClient';
import { plural, relativeTime, RELEASE_STATE_LABEL } from './presentation';

/** The approve dialog: the package, who downloaded it for testing and when, then what approving does. */
export function approvalDetail(r: ReleaseView, downloads: readonly AuditEntry[], now = new Date()): string {
  const lines: string[] = [];
  if (r.artifact?.sha256) {
    lines.push(`Package: ${r.artifact.size !== undefined ? `${r.artifact.size.toLocaleString('en-US')} bytes, ` : ''}sha256 ${r.artifact.sha256.slice(0, 12)}…${r.artifact.signature ? ', signed' : ''}.`);
  } else {
    lines.push('No package has been uploaded for this release.');
  }
  if (downloads.length > 0) {
    const last = downloads[0];
    const others = new Set(downloads.slice(1).map((d) => d.actor));
    others.delete(last.actor);
    lines.push(`Downloaded for testing by ${last.actor}, ${relativeTime(last.at, now)} (${new Date(last.at).toLocaleString()})${others.size ? `; also by ${[...others].join(', ')}` : ''}.`);
  } else {
    lines.push('Nobody has downloaded this package for testing yet.');
  }
  lines.push(`Clients whose group policy allows it will be offered or given ${r.version}. Approve only after downloading and testing the package.`);
  return lines.join('\n');
}

/** update-fleet-3.59.228.0.tar.gz: the package is a tar.gz (a .pkg name would mislead). */
export function packageFileName(r: { version: string; artifact?: { url?: string } }): string {
  const urlName = r.artifact?.url ? decodeURIComponent(r.artifact.url.split(/[/?#]/).filter(Boolean).pop() ?? '') : '';
  if (/\.(tar\.gz|tgz|tar)$/i.test(urlName)) return urlName;
  return `update-fleet-${r.version.replace(/[^A-Za-z0-9._-]/g, '_')}.tar.gz`;
}

/** The rollback dialog: the target's state, and what happens to a retired one. */
export function rollbackTargetNote(target: { version: string; state: ReleaseView['state'] } | undefined): string | undefined {
  if (!target) return undefined;
  if (target.state === 'retired') {
    return `${target.version} is ${RELEASE_STATE_LABEL.retired.toLowerCase()} (retired). Rolling back to it approves it again: it will be offered to clients as a supported version.`;
  }
  if (target.state === 'revoked') return `${target.version} was revoked before. Rolling back to it approves it again.`;
  if (target.state === 'pending') return `${target.version} is waiting for approval (download, test, and then approve). Rolling back to it approves it.`;
  return `${target.version} is approved.`;
}

/** "pending · 2 clients" style line for a pick. */
export function releaseLine(r: ReleaseView): string {
  return `${r.channel === 'beta' ? 'beta · ' : ''}${RELEASE_STATE_LABEL[r.state]} · ${plural(r.clientCount ?? 0, 'client')}`;
}

export function validateVersionInput(v: string): string | undefined {
  const t = v.trim();
  if (!t) return 'Enter the version, e.g. 3.60.0.0, 1.2.3 or 4.0.0-beta.1';
  return isValidVersion(t) ? undefined : `"${t}" is not a version: numbers separated by dots (3.60.0.0), a build number (60000) or semver (4.0.0-beta.1).`;
}

/** A signature file holds base64 text (as openssl … | base64 prints) or the 64 raw ed25519 bytes. */
export function signatureFromFile(bytes: Buffer): string {
  const text = bytes.toString('utf8').trim();
  if (/^[A-Za-z0-9+/=\s]+$/.test(text) && text.length >= 80) return text.replace(/\s+/g, '');
  if (bytes.length === 64) return bytes.toString('base64');
  throw new FleetApiError(0, 'bad-signature', 'The signature file holds neither base64 text nor a 64-byte ed25519 signature.');
}

