// Publish Release… (version, channel — a pre-release defaults to beta —, notes, mandatory, the package file
// uploaded with progress, an optional signature file) and Edit Release… (notes and mandatory while pending).
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { Channel } from '../../core/types';
import { isPrerelease } from '../../core/version';
import { signatureFromFile, validateVersionInput } from '../releaseText';
import type { ReleaseView } from '../../core/wire';
import { FleetApiError } from '../fleetClient';
import { requireClient, requireRole, type FleetServices } from '../services';
import { resolveRelease } from './pickers';

export const NO_SIGNATURE = 'No signature';
export const CHOOSE_SIGNATURE = 'Choose a signature file…';

function sizeText(n: number): string {
  return n < 1024 ? `${n} bytes` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

async function askMandatory(svc: FleetServices, title: string, current = false): Promise<boolean | undefined> {
  const items = [
    { label: 'Optional', description: 'users may install later or decline', value: false },
    { label: 'Mandatory', description: 'a declined mandatory update shuts the program down', value: true },
  ];
  if (current) items.reverse();
  return svc.ui.pick(items, { title, placeHolder: 'Is this update mandatory?' });
}

export async function publishRelease(svc: FleetServices): Promise<ReleaseView | undefined> {
  const client = requireRole(svc, 'admin', 'Publishing a release');
  const version = (await svc.ui.input({ title: 'Publish Release (1/6): version', prompt: 'The version of the new release', placeHolder: 'e.g. 3.60.0.0 or 4.0.0-beta.1', validate: validateVersionInput }))?.trim();
  if (!version) return undefined;
  const beta = isPrerelease(version);
  const channels = [
    { label: 'Stable', description: 'every group that takes stable releases', value: 'stable' as Channel },
    { label: 'Beta', description: 'only groups on the beta channel (pre-releases default to beta)', value: 'beta' as Channel },
  ];
  if (beta) channels.reverse();
  const channel = await svc.ui.pick(channels, { title: `Publish ${version} (2/6): channel`, placeHolder: beta ? `${version} is a pre-release: beta is suggested` : 'Stable or beta?' });
  if (!channel) return undefined;
  const notes = await svc.ui.input({ title: `Publish ${version} (3/6): release notes`, prompt: 'What changed (shown to administrators; may be empty)', placeHolder: 'e.g. Security fixes; new sign-in screen.' });
  if (notes === undefined) return undefined;
  const mandatory = await askMandatory(svc, `Publish ${version} (4/6): mandatory?`);
  if (mandatory === undefined) return undefined;
  const file = await svc.ui.openDialog({ title: `Publish ${version} (5/6): the package (.tar.gz with a VERSION file)`, openLabel: 'Upload', filters: { 'Packages': ['gz', 'tgz', 'tar'], 'All files': ['*'] } });
  if (!file) return undefined;
  const sigChoice = await svc.ui.pick([
    { label: NO_SIGNATURE, description: 'agents without --public-key accept it', value: 'none' },
    { label: CHOOSE_SIGNATURE, description: 'base64 ed25519 signature over the package bytes', value: 'file' },
  ], { title: `Publish ${version} (6/6): signature` });
  if (!sigChoice) return undefined;
  let signature: string | undefined;
  if (sigChoice === 'file') {
    const sigFile = await svc.ui.openDialog({ title: `Signature of ${version}`, openLabel: 'Use' });
    if (!sigFile) return undefined;
    signature = signatureFromFile(await readFile(sigFile.fsPath));
  }
  const size = (await stat(file.fsPath)).size;

  const registered = await svc.ui.progress(`Registering ${version}…`, async () => {
    try {
      return await client.registerRelease({ version, channel, notes: notes.trim(), mandatory });
    } catch (err) {
      // A release registered earlier whose upload failed: finish it (only while pending).
      if (err instanceof FleetApiError && err.code === 'release-exists') {
        const existing = await client.release(version);
        if (existing.state === 'pending') return client.editRelease(existing.id, { notes: notes.trim(), mandatory });
      }
      throw err;
    }
  });
  svc.log.info(`Registered release ${registered.version} (${registered.id}, ${registered.channel}${registered.mandatory ? ', mandatory' : ''}).`);
  let uploaded: ReleaseView;
  try {
    uploaded = await svc.ui.progress(`Uploading the package of ${version}…`, (report) =>
      client.uploadArtifact(registered.id, createReadStream(file.fsPath), size, signature, (sent) => report(`${sizeText(sent)} of ${sizeText(size)} (${size ? Math.floor((sent / size) * 100) : 100}%)`)),
    );
  } catch (err) {
    await svc.model.reload();
    const e = err as FleetApiError;
    throw new FleetApiError(e.status ?? 0, e.code ?? 'upload-failed', `${version} is registered (pending), but the package upload failed: ${e.message} Run Publish Release… again with ${version} to upload it.`);
  }
  svc.log.info(`Uploaded the package of ${version}: ${uploaded.artifact.size} bytes, sha256 ${uploaded.artifact.sha256}.`);
  await svc.model.reload();
  svc.ui.info(`Published ${version} (${uploaded.channel}): pending — download it, test it, and then approve it.`);
  return uploaded;
}

export async function editRelease(svc: FleetServices, arg?: unknown): Promise<ReleaseView | undefined> {
  requireRole(svc, 'admin', 'Editing a release');
  const r = await resolveRelease(svc, arg, ['pending'], 'Edit Release');
  if (!r) return undefined;
  if (r.state !== 'pending') throw new FleetApiError(409, 'release-not-pending', `${r.version} is ${r.state}: notes and mandatory can only change while a release is pending.`);
  const notes = await svc.ui.input({ title: `Edit ${r.version}: release notes`, value: r.notes, prompt: 'What changed' });
  if (notes === undefined) return undefined;
  const mandatory = await askMandatory(svc, `Edit ${r.version}: mandatory?`, r.mandatory);
  if (mandatory === undefined) return undefined;
  const done = await svc.ui.progress(`Saving ${r.version}…`, () => requireClient(svc).editRelease(r.id, { notes: notes.trim(), mandatory }));
  svc.log.info(`Edited release ${done.version}: mandatory ${done.mandatory}.`);
  await svc.model.reload();
  svc.ui.info(`Saved the notes of ${done.version}${done.mandatory ? ' (mandatory)' : ''}.`);
  return done;
}
