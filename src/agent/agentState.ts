// What the agent remembers between runs (in <state>/state.json): a staged update and whether the user still has
// to be asked about it (seed 003 "install later": ask at the next start), a "remind me in N days" deferral, and
// the last intervals the server gave (the first check after a start waits the start-up delay, seed 002).
import { join } from 'node:path';
import { readJsonFile, writeFileAtomic } from './files';

/**
 * granted: install at the next opportunity (forced, or "now" but the swap is left to the update service);
 * ask: the user chose "later": ask again at the next start; declined: do not install until a new answer.
 */
export type Consent = 'granted' | 'ask' | 'declined';

export interface StagedUpdate {
  version: string;
  sha256: string;
  /** The kept package in <state>/downloads (seed 003: kept for a manual rollback). */
  packageFile: string;
  mandatory: boolean;
  consent: Consent;
  stagedAt: string;
}

export interface Deferral {
  version: string;
  /** ISO-8601. */
  until: string;
}

export interface LastFailure {
  version: string;
  reason: string;
  at: string;
}

export interface AgentState {
  staged?: StagedUpdate;
  deferred?: Deferral;
  /** The last update attempt failed: check-ins say so, so the server keeps showing the failure and its reason. */
  lastFailure?: LastFailure;
  /** A version that failed to start after the swap and was rolled back by the launcher: not installed again. */
  rolledBack?: LastFailure;
  /** Swapped in, not yet seen to start: the next `launch` watches its start and rolls it back if it fails. */
  probation?: { version: string; from: string | null };
  startupDelaySeconds?: number;
  nextCheckSeconds?: number;
  lastCheckAt?: string;
  lastResult?: string;
}

export function stateFile(stateDir: string): string {
  return join(stateDir, 'state.json');
}

export async function loadAgentState(stateDir: string): Promise<AgentState> {
  const s = await readJsonFile<AgentState>(stateFile(stateDir));
  return s && typeof s === 'object' && !Array.isArray(s) ? s : {};
}

export async function saveAgentState(stateDir: string, s: AgentState): Promise<void> {
  await writeFileAtomic(stateFile(stateDir), JSON.stringify(s, null, 2) + '\n');
}

/** Read, change, write: every change goes through here so nothing else keeps a stale copy. */
export async function updateAgentState(stateDir: string, change: (s: AgentState) => void): Promise<AgentState> {
  const s = await loadAgentState(stateDir);
  change(s);
  await saveAgentState(stateDir, s);
  return s;
}
