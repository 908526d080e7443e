// Where things live. The new version is staged beside the install (seed 002: "<dir>_update_pending"), the previous
// one is kept beside it ("<dir>_old"). Everything the agent itself writes is in the state dir.
import { promises as fsp } from 'node:fs';
import { join, resolve } from 'node:path';
import { oldGenerationSuffixes } from '../core/launchRules';
import { siblingsOf } from './platform';

/** The package's tar must hold this file at its root; its first line is the version. */
export const VERSION_FILE = 'VERSION';

export interface Layout {
  install: string;
  /** The complete new version, ready for the swap. */
  pending: string;
  /** Extraction happens here and is renamed to `pending` only when complete. */
  partial: string;
  /** The previous version, for rollback. */
  old: string;
  /** Every kept previous version, newest first: old, then "<install>_old.2", … (retention, at least one). */
  oldGenerations: string[];
  /** An older `_old` being replaced; deleted at the end of the swap. */
  oldDiscard: string;
  /** Where rollback parks the current version for a moment. */
  rollbackPark: string;
  state: string;
  downloads: string;
}

export function layoutFor(install: string, stateDir: string, keepOld = 1): Layout {
  const { install: dir } = siblingsOf(install);
  return {
    oldGenerations: oldGenerationSuffixes(keepOld).map((s) => `${dir}${s}`),
    install: dir,
    pending: `${dir}_update_pending`,
    partial: `${dir}_update_pending.partial`,
    old: `${dir}_old`,
    oldDiscard: `${dir}_old.discard`,
    rollbackPark: `${dir}_rollback`,
    state: resolve(stateDir),
    downloads: join(resolve(stateDir), 'downloads'),
  };
}

/** The version in DIR/VERSION, or undefined when the folder or the file is missing. */
export async function readVersionFile(dir: string): Promise<string | undefined> {
  try {
    const text = await fsp.readFile(join(dir, VERSION_FILE), 'utf8');
    const v = text.split(/\r?\n/)[0].trim();
    return v === '' ? undefined : v;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** What the agent reports when the install has no VERSION (never installed through the agent). */
export const UNKNOWN_VERSION = '0.0.0';

export async function installedVersion(layout: Layout): Promise<string> {
  return (await readVersionFile(layout.install)) ?? UNKNOWN_VERSION;
}
