// Seed 002: the network-share update source describes its setup in version_info.xml, [Version > Current].
//   <VersionInfo><Version><Current>3.1.018</Current></Version>
//     <Package><File>app-3.1.018.tar.gz</File><Sha256>…</Sha256><Size>1234</Size><Mandatory>0</Mandatory></Package>
//   </VersionInfo>
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { parseVersion } from './version';

export interface VersionInfo {
  current: string;
  /** Package file name inside the share folder: a plain name, never a path. */
  file?: string;
  sha256?: string;
  size?: number;
  mandatory: boolean;
}

export class VersionInfoError extends Error {
  constructor(message: string) {
    super(`version_info.xml: ${message}`);
    this.name = 'VersionInfoError';
  }
}

const SAFE_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

export function parseVersionInfoXml(xml: string): VersionInfo {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new VersionInfoError(`not well-formed XML (${valid.err.msg}, line ${valid.err.line})`);
  const doc = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true, processEntities: false }).parse(xml) as Record<string, any>;
  const rootKey = Object.keys(doc).find((k) => !k.startsWith('?'));
  const root = rootKey ? doc[rootKey] : undefined;
  // Accept <Version> at the root or one level down (the CTI files put it under a root element).
  const version = (rootKey === 'Version' ? root : root?.Version) as Record<string, unknown> | undefined;
  const current = version && typeof version === 'object' ? version.Current : undefined;
  if (typeof current !== 'string' || current.trim() === '') throw new VersionInfoError('missing <Version><Current>…</Current></Version>');
  try {
    parseVersion(current);
  } catch (e) {
    throw new VersionInfoError((e as Error).message);
  }
  const info: VersionInfo = { current: current.trim(), mandatory: false };
  const pkg = rootKey === 'Version' ? undefined : (root?.Package as Record<string, unknown> | undefined);
  if (pkg && typeof pkg === 'object') {
    if (pkg.File !== undefined) {
      const file = String(pkg.File).trim();
      if (!SAFE_FILE.test(file) || file.includes('..')) throw new VersionInfoError(`package file "${file}" must be a plain file name in the share folder`);
      info.file = file;
    }
    if (pkg.Sha256 !== undefined) {
      const sha = String(pkg.Sha256).trim().toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(sha)) throw new VersionInfoError('Sha256 must be 64 hex digits');
      info.sha256 = sha;
    }
    if (pkg.Size !== undefined) {
      const size = Number(pkg.Size);
      if (!Number.isSafeInteger(size) || size < 0) throw new VersionInfoError('Size must be a whole number of bytes');
      info.size = size;
    }
    if (pkg.Mandatory !== undefined) info.mandatory = String(pkg.Mandatory).trim() === '1' || String(pkg.Mandatory).trim().toLowerCase() === 'true';
  }
  return info;
}

export function encodeVersionInfoXml(info: VersionInfo): string {
  const pkg: Record<string, unknown> = {};
  if (info.file) pkg.File = info.file;
  if (info.sha256) pkg.Sha256 = info.sha256;
  if (info.size !== undefined) pkg.Size = info.size;
  pkg.Mandatory = info.mandatory ? 1 : 0;
  const body = new XMLBuilder({ format: true, indentBy: '  ' }).build({ VersionInfo: { Version: { Current: info.current }, Package: pkg } }) as string;
  return `<?xml version="1.0" encoding="utf-8"?>\n${body}`;
}
