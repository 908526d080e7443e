// A network share as the update source (seed 002): a folder with version_info.xml ([Version > Current]) and the
// package file it names. The agent copies the package to its local downloads folder first, because the privileged
// update service may not reach network folders.
import { createReadStream, promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
import { compareVersions, isValidVersion } from '../core/version';
import { parseVersionInfoXml } from '../core/versionInfoXml';
import type { CheckinResponse } from '../core/wire';
import { AgentFailure, errnoCode, fsFailure, messageOf } from './errors';
import type { CheckContext, PackageStream, UpdateSource } from './updateSource';

export const VERSION_INFO_FILE = 'version_info.xml';

export interface ShareSourceOptions {
  dir: string;
  checkIntervalSeconds: number;
  startupDelaySeconds: number;
}

export class ShareSource implements UpdateSource {
  readonly description: string;
  // Seed 002's test trick: raise <Current> and the same package is installed as that version.
  readonly announcementNamesVersion = true;
  constructor(private readonly o: ShareSourceOptions) {
    this.description = `share ${o.dir}`;
  }

  async check(ctx: CheckContext): Promise<CheckinResponse> {
    const timing = { nextCheckSeconds: this.o.checkIntervalSeconds, startupDelaySeconds: this.o.startupDelaySeconds };
    const xmlPath = join(this.o.dir, VERSION_INFO_FILE);
    let xml: string;
    try {
      xml = await fsp.readFile(xmlPath, 'utf8');
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw new AgentFailure(`Check failed: the share has no ${VERSION_INFO_FILE} (${xmlPath})`);
      throw fsFailure(e, 'reading', xmlPath);
    }
    let info;
    try {
      info = parseVersionInfoXml(xml);
    } catch (e) {
      throw new AgentFailure(`Check failed: ${messageOf(e)}`, { cause: e });
    }
    if (!info.file) throw new AgentFailure(`Check failed: ${VERSION_INFO_FILE} names no package file (<Package><File>…</File></Package>)`);
    // The core already refuses anything but a plain name; checked again because this is where it is opened.
    if (basename(info.file) !== info.file) throw new AgentFailure(`Check failed: package file "${info.file}" must be a plain file name`);
    const cmp = isValidVersion(ctx.version) ? compareVersions(info.current, ctx.version) : 1;
    if (cmp === 0) return { action: 'none', reason: 'up-to-date', message: `Already on ${info.current}.`, ...timing };
    if (cmp < 0) {
      return {
        action: 'none',
        reason: 'downgrade-not-allowed',
        message: `The share has ${info.current}, older than the installed ${ctx.version}; a share never downgrades.`,
        ...timing,
      };
    }
    let signature: string | undefined;
    try {
      signature = (await fsp.readFile(join(this.o.dir, `${info.file}.sig`), 'utf8')).trim() || undefined;
    } catch {
      signature = undefined; // unsigned; refused later only if a publisher key is configured
    }
    // Seed 002's share setup is "Download and install": updates from a share install without asking.
    return {
      action: 'force',
      version: info.current,
      url: info.file,
      sha256: info.sha256,
      size: info.size,
      signature,
      mandatory: info.mandatory,
      delivery: 'forced',
      reason: info.mandatory ? 'mandatory-release' : 'forced-by-policy',
      message: `The share has ${info.current}.`,
      ...timing,
    };
  }

  async openPackage(decision: CheckinResponse, offset: number): Promise<PackageStream> {
    const name = decision.url ?? '';
    if (!name || basename(name) !== name) throw new AgentFailure(`Download failed: package file "${name}" must be a plain file name`);
    const path = join(this.o.dir, name);
    let size: number;
    try {
      size = (await fsp.stat(path)).size;
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') throw new AgentFailure(`Download failed: the share has no package file ${path} (named in ${VERSION_INFO_FILE})`);
      throw fsFailure(e, 'reading', path);
    }
    const start = offset > 0 && offset <= size ? offset : 0;
    return { stream: createReadStream(path, { start }), resumed: start > 0, length: size - start };
  }
}
