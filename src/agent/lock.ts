// One agent process at a time works on a state dir (the run loop and a service-started `apply` may overlap).
// The lock is a file holding the owner's pid; a lock left by a killed process is taken over.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { AgentFailure, errnoCode } from './errors';

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM'; // exists, owned by someone else
  }
}

export interface Lock {
  release(): Promise<void>;
}

export async function acquireLock(stateDir: string, waitMs = 30_000): Promise<Lock> {
  const file = join(stateDir, 'agent.lock');
  await fsp.mkdir(stateDir, { recursive: true });
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fh = await fsp.open(file, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return { release: () => fsp.rm(file, { force: true }) };
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
    }
    const owner = Number((await fsp.readFile(file, 'utf8').catch(() => '')).trim());
    if (owner === process.pid || !alive(owner)) {
      // Left behind by a killed process (or by us): take it over.
      await fsp.rm(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new AgentFailure(`Another update-fleet-agent (pid ${owner}) is working on ${stateDir}; try again when it has finished`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
