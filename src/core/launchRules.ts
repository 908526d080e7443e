// What the launcher (`update-fleet-agent launch -- <program>`, seed 002) decides, as pure rules: what to do when the
// program exits, whether a freshly swapped-in version failed to start, when the next check is (with jitter), and
// which downloads and `_old` generations to keep. The agent only carries these out.

/** Why the launcher stopped the program, if it did. */
export type StopRequest =
  /** The program ended by itself (the user closed it). */
  | 'none'
  /** The user answered "install now": stop, swap, start the new version. */
  | 'restart-for-update'
  /** Seed 003: the user declined a mandatory update; the program must shut down. */
  | 'must-shut-down'
  /** The launcher itself was asked to stop (SIGTERM/Ctrl-C to the launcher). */
  | 'launcher-stopping';

export interface ExitFacts {
  stop: StopRequest;
  /** A complete update waits in <install>_update_pending, and whether it may be installed without asking again. */
  staged: { consent: 'granted' | 'ask' | 'declined' } | null;
  /** The program's own exit code (null when killed by a signal). */
  code: number | null;
}

export interface ExitStep {
  /** Swap <install>_update_pending in now, while the program is not running (seed 002: at shutdown). */
  swap: boolean;
  /** Start the program again (after "install now"), or end the launcher. */
  then: 'restart' | 'exit';
  /** The launcher's exit code when it ends: the program's, or 3 when it had to shut down for a mandatory update. */
  exitCode: number;
}

export const MUST_SHUT_DOWN_EXIT = 3;

export function stepAtExit(f: ExitFacts): ExitStep {
  const ready = f.staged !== null && f.staged.consent === 'granted';
  switch (f.stop) {
    case 'must-shut-down':
      return { swap: false, then: 'exit', exitCode: MUST_SHUT_DOWN_EXIT };
    case 'restart-for-update':
      return { swap: ready, then: 'restart', exitCode: 0 };
    case 'launcher-stopping':
      // Stopping for a shutdown is exactly when seed 002 swaps.
      return { swap: ready, then: 'exit', exitCode: 0 };
    case 'none':
      return { swap: ready, then: 'exit', exitCode: f.code ?? 1 };
  }
}

export interface StartFacts {
  /** How long the program ran, in ms; undefined while it still runs. */
  ranMs?: number;
  code?: number | null;
  signal?: string | null;
  /** The configured time a new version must survive to count as started. */
  graceMs: number;
  /** The health command's result, when one is configured and it has run. */
  health?: { ok: boolean; detail: string };
  /** The launcher stopped it on purpose (then an exit is not a failure to start). */
  stoppedByLauncher: boolean;
}

/** Why a freshly installed version failed to start ("exited with code 1 at start"), or undefined when it is fine. */
export function startFailure(f: StartFacts): string | undefined {
  if (f.stoppedByLauncher) return undefined;
  if (f.ranMs !== undefined && f.ranMs < f.graceMs) {
    if (f.signal) return `was killed by ${f.signal} at start`;
    if (f.code !== 0) return `exited with code ${String(f.code)} at start`;
  }
  if (f.health && !f.health.ok) return `failed its health check at start (${f.health.detail})`;
  return undefined;
}

/** The report's reason after an automatic rollback: "rolled back: 3.60.0.0 exited with code 1 at start". */
export function rolledBackReason(version: string, why: string, restored: string): string {
  return `rolled back: ${version} ${why}; ${restored} is installed again`;
}

/** ±10 %: a fleet that came back from an outage together does not check in together forever. */
export const JITTER = 0.1;

/** The interval with jitter; `random` is in [0, 1). Never below one second. */
export function jittered(seconds: number, random: number): number {
  const factor = 1 + JITTER * (2 * random - 1);
  return Math.max(1, seconds * factor);
}

export interface Kept {
  name: string;
  /** Newer first when sorting: modification time in ms. */
  mtimeMs: number;
}

/**
 * Retention: keep the `keep` newest, and always the protected ones (the staged package, the installed one);
 * returns the names to remove, oldest first.
 */
export function toRemove(items: readonly Kept[], keep: number, protectedNames: ReadonlySet<string>): string[] {
  const newestFirst = [...items].sort((a, b) => b.mtimeMs - a.mtimeMs || a.name.localeCompare(b.name));
  let kept = 0;
  const out: string[] = [];
  for (const it of newestFirst) {
    if (protectedNames.has(it.name)) {
      kept++;
      continue;
    }
    if (kept < keep) kept++;
    else out.push(it.name);
  }
  return out.reverse();
}

/**
 * The `_old` generations, newest first: "<install>_old", "<install>_old.2", … "<install>_old.N".
 * (Seed 002 names the previous version "_old"; older generations get a number.)
 */
export function oldGenerationSuffixes(keep: number): string[] {
  const n = Math.max(1, Math.floor(keep));
  return Array.from({ length: n }, (_, i) => (i === 0 ? '_old' : `_old.${i + 1}`));
}

/** A process that still uses an install folder (its working folder, executable or an open file is inside it). */
export interface FolderHolder {
  pid: number;
  command: string;
}

/**
 * Seed 002 swaps when nothing runs from the install. A staged update is not swapped while other processes still
 * use the folder (a helper the program left behind); the reason says who, and it is swapped in at the next exit or
 * start once they are gone. Undefined when the swap may go ahead.
 */
export function swapHeldBy(holders: readonly FolderHolder[] | undefined, version: string, install: string): string | undefined {
  if (!holders || holders.length === 0) return undefined;
  const shown = holders.slice(0, 3).map((h) => `pid ${h.pid} (${h.command})`);
  const more = holders.length > 3 ? ` and ${holders.length - 3} more` : '';
  const verb = holders.length === 1 ? 'still uses' : 'still use';
  return `${version} stays staged: ${shown.join(', ')}${more} ${verb} ${install}; it is swapped in at the next exit or start once nothing uses the folder`;
}
