// Approve Release…, Revoke Approval…, Retire Release…, Download Package for Testing…, Edit Release Notes…
import * as vscode from 'vscode';
import type { ReleaseView } from '../../core/wire';
import { approvalDetail, packageFileName } from '../releaseText';
import { plural } from '../presentation';
import { requireClient, requireRole, type FleetServices } from '../services';
import { writeStreamTo } from './exportCsv';
import { resolveRelease } from './pickers';

async function afterChange(svc: FleetServices): Promise<void> {
  await svc.model.reload();
}

/**
 * The optional note that goes with a decision into the audit log. Escape cancels the action (undefined);
 * an empty answer means no note ('').
 */
export async function askNote(svc: FleetServices, title: string): Promise<string | undefined> {
  const v = await svc.ui.input({ title, prompt: 'A note for the audit log (optional): why, what was tested. Press Enter to go on, Escape to cancel.', placeHolder: 'e.g. tested on the Pilot bench machines' });
  return v === undefined ? undefined : v.trim();
}

export async function approveRelease(svc: FleetServices, arg?: unknown): Promise<ReleaseView | undefined> {
  requireRole(svc, 'operator', 'Approving a release');
  const r = await resolveRelease(svc, arg, ['pending', 'retired', 'revoked'], 'Approve Release');
  if (!r) return undefined;
  const client = requireClient(svc);
  // Who downloaded it for testing, and when: the dialog says so (older servers without the record: nothing).
  const downloads = await client.audit({ action: 'release.download', target: r.version, limit: 5 }).catch(() => []);
  const ok = await svc.ui.confirm(`Approve ${r.version}${r.channel === 'beta' ? ' (beta)' : ''}?`, approvalDetail(r, downloads), ['Approve']);
  if (ok !== 'Approve') return undefined;
  const note = await askNote(svc, `Approve ${r.version}`);
  if (note === undefined) return undefined;
  const done = await svc.ui.progress(`Approving ${r.version}…`, () => client.approve(r.id, note || undefined));
  svc.log.info(`Approved release ${done.version} (${done.id})${note ? `: ${note}` : ''}.`);
  await afterChange(svc);
  svc.ui.info(`${done.version} is approved.`);
  return done;
}

export async function revokeRelease(svc: FleetServices, arg?: unknown): Promise<ReleaseView | undefined> {
  requireRole(svc, 'operator', 'Revoking an approval');
  const r = await resolveRelease(svc, arg, ['approved'], 'Revoke Approval');
  if (!r) return undefined;
  const ok = await svc.ui.confirm(
    `Revoke the approval of ${r.version}?`,
    `Clients will no longer be offered ${r.version}. ${plural(r.clientCount ?? 0, 'client')} already run it; to move them back, use Roll Back Release… instead.`,
    ['Revoke'],
  );
  if (ok !== 'Revoke') return undefined;
  const note = await askNote(svc, `Revoke ${r.version}`);
  if (note === undefined) return undefined;
  const done = await svc.ui.progress(`Revoking ${r.version}…`, () => requireClient(svc).revoke(r.id, note || undefined));
  svc.log.info(`Revoked the approval of ${done.version} (${done.id}).`);
  await afterChange(svc);
  svc.ui.info(`The approval of ${done.version} is revoked.`);
  return done;
}

export async function retireRelease(svc: FleetServices, arg?: unknown): Promise<ReleaseView | undefined> {
  requireRole(svc, 'operator', 'Retiring a release');
  const r = await resolveRelease(svc, arg, ['pending', 'approved', 'revoked'], 'Retire Release');
  if (!r) return undefined;
  const ok = await svc.ui.confirm(
    `Retire ${r.version} (no longer supported)?`,
    `No client will be offered ${r.version} any more. ${plural(r.clientCount ?? 0, 'client')} still run it.`,
    ['Retire'],
  );
  if (ok !== 'Retire') return undefined;
  const note = await askNote(svc, `Retire ${r.version}`);
  if (note === undefined) return undefined;
  const done = await svc.ui.progress(`Retiring ${r.version}…`, () => requireClient(svc).retire(r.id, note || undefined));
  svc.log.info(`Retired release ${done.version} (${done.id}).`);
  await afterChange(svc);
  svc.ui.info(`${done.version} is no longer supported.`);
  return done;
}

/** Download, test, and then approve: save the package to disk (the server records who and when). */
export async function downloadRelease(svc: FleetServices, arg?: unknown): Promise<string | undefined> {
  const r = await resolveRelease(svc, arg, ['pending', 'approved', 'retired', 'revoked'], 'Download Package for Testing');
  if (!r) return undefined;
  const client = requireClient(svc);
  const target = await svc.ui.saveDialog({ title: `Download ${r.version} for testing`, defaultFileName: packageFileName(r), filters: { 'Packages': ['gz', 'tgz', 'tar'] } });
  if (!target) return undefined;
  const bytes = await svc.ui.progress(`Downloading ${r.version}…`, async (report) => {
    const { stream, size } = await client.downloadArtifact(r.id);
    return writeStreamTo(target, stream, (n) => report(size ? `${Math.floor((n / size) * 100)}%` : `${Math.round(n / 1024)} KiB`));
  });
  const where = target.scheme === 'file' ? target.fsPath : target.toString();
  svc.log.info(`Downloaded ${r.version} (${bytes} bytes) to ${where}.`);
  if (r.artifact?.size && bytes !== r.artifact.size) svc.log.warn(`Size differs: expected ${r.artifact.size}, got ${bytes}.`);
  svc.ui.info(`Saved ${r.version} (${bytes.toLocaleString('en-US')} bytes) to ${where}. Test it, then approve it.`);
  return where;
}

export function revealInOs(uri: vscode.Uri): Thenable<unknown> {
  return vscode.commands.executeCommand('revealFileInOS', uri);
}
