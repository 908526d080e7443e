// Who this client is: a random id kept in the state dir across runs, plus what an administrator searches by
// (seed 001: name, computer, IP, last logged-in user).
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { readJsonFile, writeFileAtomic } from './files';

export interface Identity {
  clientId: string;
  name: string;
  computer: string;
  ip: string;
  user: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function identityFile(stateDir: string): string {
  return join(stateDir, 'identity.json');
}

/** The client id: created once, then the same on every run (the server keys the client's history by it). */
export async function loadOrCreateClientId(stateDir: string): Promise<string> {
  const file = identityFile(stateDir);
  const saved = await readJsonFile<{ clientId?: unknown }>(file).catch(() => undefined);
  if (saved && typeof saved.clientId === 'string' && UUID.test(saved.clientId)) return saved.clientId;
  const clientId = randomUUID();
  await fsp.mkdir(stateDir, { recursive: true });
  await writeFileAtomic(file, JSON.stringify({ clientId, createdAt: new Date().toISOString() }, null, 2) + '\n');
  return clientId;
}

/** The first IPv4 address that is not loopback: what an administrator sees in the client list. */
export function firstIPv4(interfaces: ReturnType<typeof os.networkInterfaces> = os.networkInterfaces()): string {
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) {
      // Node 18.0-18.3 reported family as the number 4.
      if (((a.family as unknown) === 'IPv4' || (a.family as unknown) === 4) && !a.internal) return a.address;
    }
  }
  return '127.0.0.1';
}

/** The logged-in user: the environment first (a service started for a user session sets it), then the OS account. */
export function loggedInUser(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.USER ?? env.LOGNAME ?? env.USERNAME;
  if (fromEnv) return fromEnv;
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

export async function loadIdentity(stateDir: string, name?: string): Promise<Identity> {
  const computer = os.hostname();
  return {
    clientId: await loadOrCreateClientId(stateDir),
    name: name?.trim() || computer,
    computer,
    ip: firstIPv4(),
    user: loggedInUser(),
  };
}
