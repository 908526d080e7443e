// Platform specifics in one place: where the service's socket lives, where the agent keeps its state, the sibling
// folders of an install (POSIX and Windows paths alike; the Windows rules are unit-tested with path.win32 on any
// machine), and which programs still hold an install folder (Linux: /proc; see the README for Windows).
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FolderHolder } from '../core/launchRules';

type PathApi = Pick<typeof path.posix, 'resolve' | 'join' | 'dirname' | 'basename'>;

/** The local endpoint of the privileged service: a unix socket in a folder only its group may enter; a pipe on Windows. */
export function defaultServiceSocket(platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? '\\\\.\\pipe\\update-fleet-agent' : '/run/update-fleet-agent/agent.sock';
}

/** Where the agent keeps its id, journal and downloads unless told otherwise. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, uid = typeof process.getuid === 'function' ? process.getuid() : -1): string {
  if (env.UPDATE_FLEET_AGENT_STATE) return path.resolve(env.UPDATE_FLEET_AGENT_STATE);
  if (platform === 'win32') return path.win32.join(env.ProgramData ?? 'C:\\ProgramData', 'UpdateFleet', 'Agent');
  if (uid === 0) return '/var/lib/update-fleet-agent';
  return path.join(env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state'), 'update-fleet-agent');
}

export interface Siblings {
  install: string;
  pending: string;
  old: string;
}

/**
 * Seed 002's folders beside the install: "C:\Program Files (x86)\CTI Client" → "…\CTI Client_update_pending" and
 * "…\CTI Client_old". A trailing separator is dropped, and a drive or file-system root is refused (no sibling there).
 */
export function siblingsOf(install: string, p: PathApi = path): Siblings {
  const dir = p.resolve(install);
  if (p.dirname(dir) === dir || p.basename(dir) === '') throw new Error(`${install} is a root folder; the install must be a folder with a parent`);
  return { install: dir, pending: `${dir}_update_pending`, old: `${dir}_old` };
}

/**
 * The command that starts this agent again (for a service unit): the single executable alone, or Node with the
 * script it runs (dist/agent.js, or src/agent/main.ts under tsx in tests).
 */
export function selfCommand(isSingleExecutable: boolean, execPath = process.execPath, script = process.argv[1]): string[] {
  if (isSingleExecutable || !script) return [execPath];
  return [execPath, path.resolve(script)];
}

/** Whether this process is the single executable (node:sea exists from Node 20.12 on). */
export function runningAsSingleExecutable(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('node:sea') as { isSea(): boolean }).isSea();
  } catch {
    return false;
  }
}

/**
 * Processes (that this user may inspect; root sees all) whose working folder, executable or an open file is inside
 * `folder`: a helper the program left running would keep the old files in use across the swap. Linux reads /proc;
 * elsewhere undefined (not known here: on Windows the rename itself fails while a file is open, see the README).
 */
export async function processesHolding(folder: string, procRoot = '/proc', platform: NodeJS.Platform = process.platform): Promise<FolderHolder[] | undefined> {
  if (platform !== 'linux') return undefined;
  const inside = (target: string) => target === folder || target.startsWith(`${folder}/`);
  const holders: FolderHolder[] = [];
  for (const name of await fsp.readdir(procRoot)) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const dir = path.join(procRoot, name);
    const links = [path.join(dir, 'cwd'), path.join(dir, 'exe')];
    try {
      for (const fd of await fsp.readdir(path.join(dir, 'fd'))) links.push(path.join(dir, 'fd', fd));
    } catch {
      // gone, or another user's process
    }
    let holds = false;
    for (const link of links) {
      const target = await fsp.readlink(link).catch(() => '');
      if (target && inside(target)) {
        holds = true;
        break;
      }
    }
    if (!holds) continue;
    const command = (await fsp.readFile(path.join(dir, 'comm'), 'utf8').catch(() => '?')).trim();
    holders.push({ pid: Number(name), command });
  }
  return holders.sort((a, b) => a.pid - b.pid);
}
