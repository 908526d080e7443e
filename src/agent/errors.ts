// Errors the agent tells a person about. An AgentFailure's message is what the server shows as the failure reason.

/** Process exit codes, documented in the README: 0 ok, 1 failure, 2 usage error, 3 the program must shut down. */
export const EXIT = { ok: 0, failure: 1, usage: 2, mustShutDown: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An update step failed; the message is a sentence a person can act on and is reported to the server. */
export class AgentFailure extends Error {
  /** The server refused this client (its error code: pending-admission, decommissioned, rejected …). */
  readonly refusal?: string;
  constructor(message: string, options?: { cause?: unknown; refusal?: string }) {
    super(message, options);
    this.name = 'AgentFailure';
    this.refusal = options?.refusal;
  }
}

/** The server's answer was refused (signed decisions): reported as a failure about the version it named. */
export class DecisionRefused extends AgentFailure {
  constructor(message: string, readonly version: string) {
    super(message);
    this.name = 'DecisionRefused';
  }
}

/** Bad command line or configuration: exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function errnoCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Turn a file-system error into a failure reason. Disk full and permission problems get their own words,
 * because they are what an administrator fixes on the machine.
 */
export function fsFailure(e: unknown, doing: string, fallbackPath: string): AgentFailure {
  if (e instanceof AgentFailure) return e;
  const code = errnoCode(e);
  const path = (e as NodeJS.ErrnoException | undefined)?.path ?? fallbackPath;
  if (code === 'ENOSPC') return new AgentFailure(`Disk full while ${doing} ${path}`, { cause: e });
  if (code === 'EDQUOT') return new AgentFailure(`Disk quota exceeded while ${doing} ${path}`, { cause: e });
  if (code === 'EACCES' || code === 'EPERM') return new AgentFailure(`Permission denied ${doing} ${path}`, { cause: e });
  if (code === 'EROFS') return new AgentFailure(`Read-only file system: cannot finish ${doing} ${path}`, { cause: e });
  if (code === 'EBUSY') return new AgentFailure(`${path} is in use (a running program holds it open) while ${doing} it`, { cause: e });
  return new AgentFailure(`Failed ${doing} ${path}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
