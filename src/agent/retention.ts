// Retention of downloads: the newest N packages in <state>/downloads are kept (seed 003: the installer is kept for
// a manual rollback), the staged one always; older packages and abandoned partial downloads go. What to remove
// is decided by the pure toRemove (src/core/launchRules.ts). `_old` generations are kept by the swap itself
// (apply.ts shifts them and discards the oldest).
import { promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
import { toRemove } from '../core/launchRules';
import { errnoCode } from './errors';

/** Remove what retention does not keep; returns the removed names. */
export async function cleanDownloads(dir: string, keep: number, stagedPackage?: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return [];
    throw e;
  }
  const items: { name: string; mtimeMs: number }[] = [];
  for (const name of names) {
    if (!name.endsWith('.pkg') && !name.endsWith('.part')) continue;
    try {
      items.push({ name, mtimeMs: (await fsp.stat(join(dir, name))).mtimeMs });
    } catch {
      // gone meanwhile
    }
  }
  const protectedNames = new Set(stagedPackage ? [basename(stagedPackage)] : []);
  const removed = toRemove(items, keep, protectedNames);
  for (const name of removed) await fsp.rm(join(dir, name), { force: true });
  return removed;
}
