// Small file-system helpers the crash-safe steps rely on: atomic writes and "does it exist" without races on ENOENT.
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';

export async function exists(path: string): Promise<boolean> {
  try {
    await fsp.lstat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Flush a directory entry (a rename) to disk. Not supported on every platform, hence best effort. */
export async function fsyncDir(dir: string): Promise<void> {
  try {
    const fh = await fsp.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Windows cannot open a directory for fsync; the rename is still atomic there.
  }
}

/**
 * Flush every file and folder of a tree to disk (before a staged folder is committed by a rename, so a power cut
 * after the rename cannot leave a folder of empty files). Links are not followed.
 */
export async function syncTree(root: string): Promise<void> {
  const walk = async (dir: string): Promise<void> => {
    for (const d of await fsp.readdir(dir, { withFileTypes: true })) {
      const p = join(dir, d.name);
      if (d.isDirectory()) await walk(p);
      else if (d.isFile()) {
        const fh = await fsp.open(p, 'r');
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
      }
    }
    await fsyncDir(dir);
  };
  await walk(root);
}

/**
 * When root writes into a folder that belongs to someone else (the privileged `apply` working in the agent's state
 * dir), the file gets the folder's owner, so the unprivileged agent can still read and replace it afterwards.
 */
export async function ownerOfDir(path: string): Promise<{ uid: number; gid: number } | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const st = await fsp.stat(dirname(path));
  return st.uid === 0 ? undefined : { uid: st.uid, gid: st.gid };
}

/** Write to a temporary file, fsync, then rename over the target: a reader sees the old or the new content, never half. */
export async function writeFileAtomic(path: string, data: string | Buffer, mode = 0o640): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  const owner = await ownerOfDir(path);
  const fh = await fsp.open(tmp, 'w', mode);
  try {
    if (owner) await fh.chown(owner.uid, owner.gid);
    // The umask may have narrowed the mode; a secret must not have been widened either (an old file's mode).
    await fh.chmod(mode);
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, path);
  await fsyncDir(dirname(path));
}

export async function readJsonFile<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

export async function removeTree(path: string): Promise<void> {
  await fsp.rm(path, { recursive: true, force: true, maxRetries: 3 });
}
