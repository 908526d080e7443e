// The data folder holds the database, the packages and the token files: only the server's own user may read it.
// A folder made earlier with looser modes (fleet.db 0644) is tightened at every start, or the start is refused.
import { chmod, lstat, mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const PRIVATE_FILES = ['fleet.db', 'fleet.db-wal', 'fleet.db-shm', 'fleet.db-journal', 'admin.token', 'enroll.token', 'decision-signing.key'];

async function tighten(path: string, mode: number, kind: 'dir' | 'file'): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (st.isSymbolicLink() || (kind === 'dir' ? !st.isDirectory() : !st.isFile())) {
    throw new Error(`${path} must be a ${kind === 'dir' ? 'folder' : 'regular file'}, not a link or anything else; refusing to start.`);
  }
  if ((st.mode & 0o777) === mode) return;
  try {
    await chmod(path, mode);
  } catch (err) {
    throw new Error(`${path} is readable by other users (mode ${(st.mode & 0o777).toString(8)}) and could not be made ${mode.toString(8)}: ${(err as Error).message}. Fix its owner or modes; refusing to start.`);
  }
}

/** Make the folder 0700 and everything secret in it 0600; create an empty fleet.db 0600 so SQLite keeps that mode (its WAL follows it). */
export async function secureDataDir(dir: string, opts: { sqlite: boolean }): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await tighten(dir, 0o700, 'dir');
  if (opts.sqlite) await (await open(join(dir, 'fleet.db'), 'a', 0o600)).close();
  for (const f of PRIVATE_FILES) await tighten(join(dir, f), 0o600, 'file');
  const artifacts = join(dir, 'artifacts');
  await tighten(artifacts, 0o700, 'dir');
  let names: string[] = [];
  try {
    names = await readdir(artifacts);
  } catch { /* not made yet */ }
  for (const n of names) await tighten(join(artifacts, n), 0o600, 'file');
}
