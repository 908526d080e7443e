// What the agent does with the server's answer and with the user's (seeds 000, 002, 003), as pure rules. The agent
// only carries them out: downloads, stages, swaps, reports.
import type { ClientState } from './types';
import type { CheckinResponse } from './wire';
import { compareVersions, isValidVersion } from './version';

/** The user's answer to an update question: install now, later, remind me in N days, decline, do not ask again. */
export type UpdateAnswer =
  | { kind: 'now' }
  | { kind: 'later' }
  | { kind: 'remind'; days: number }
  | { kind: 'decline' }
  | { kind: 'never' };

/** Same version: by the version comparator when both parse, else as text (a legacy build string). */
export function sameInstalledVersion(a: string, b: string): boolean {
  if (isValidVersion(a) && isValidVersion(b)) return compareVersions(a, b) === 0;
  return a.trim() === b.trim();
}

export type CheckStep =
  | { step: 'nothing'; why: 'no-update' | 'same-version' | 'deferred' | 'asked-at-start-up' }
  | { step: 'manual' }
  /** force and downgrade: install without asking. */
  | { step: 'install' }
  | { step: 'ask' };

export interface CheckContext {
  installed: string;
  /** "Remind me in N days" was chosen for this version, until then. */
  deferral: { version: string; until: string } | null;
  /** Versions the user was already asked about at this start ("install later" → asked at the next start). */
  askedAtStartUp: ReadonlySet<string>;
}

export function stepForCheck(d: Pick<CheckinResponse, 'action' | 'version'>, ctx: CheckContext): CheckStep {
  if (d.action === 'none' || !d.version) return { step: 'nothing', why: 'no-update' };
  // Seed 003: the same build number means no prompt.
  if (sameInstalledVersion(d.version, ctx.installed)) return { step: 'nothing', why: 'same-version' };
  if (d.action === 'manual') return { step: 'manual' };
  if (d.action === 'force' || d.action === 'downgrade') return { step: 'install' };
  if (ctx.deferral && sameInstalledVersion(ctx.deferral.version, d.version)) return { step: 'nothing', why: 'deferred' };
  if (ctx.askedAtStartUp.has(d.version)) return { step: 'nothing', why: 'asked-at-start-up' };
  return { step: 'ask' };
}

export type AnswerOutcome =
  /** granted: install now; ask: download and stage now, ask again at the next start (seed 003 "install later"). */
  | { outcome: 'install'; consent: 'granted' | 'ask' }
  /** A staged update the user wants later still: ask at the next start. */
  | { outcome: 'wait' }
  | {
      outcome: 'declined';
      /** What to report. */
      state: Extract<ClientState, 'declined' | 'deferred'>;
      reason: string;
      deferredUntil?: string;
      /** Seed 003: a declined mandatory update shuts the program down. */
      mustShutDown: boolean;
      /** "Do not ask me again": no more checks this session (and after a shut-down). */
      stopChecking: boolean;
    };

export interface AnswerContext {
  version: string;
  mandatory: boolean;
  /** offer: asked after a check; staged: asked at start-up about an update downloaded earlier. */
  phase: 'offer' | 'staged';
  now: Date;
}

export function outcomeOfAnswer(answer: UpdateAnswer, ctx: AnswerContext): AnswerOutcome {
  const { version } = ctx;
  if (answer.kind === 'now') return { outcome: 'install', consent: 'granted' };
  if (answer.kind === 'later') return ctx.phase === 'offer' ? { outcome: 'install', consent: 'ask' } : { outcome: 'wait' };
  if (ctx.mandatory) {
    // "Remind" and "never" are not choices for a mandatory update: any refusal shuts the program down.
    return { outcome: 'declined', state: 'declined', reason: `The user declined the mandatory update to ${version}; the program must shut down`, mustShutDown: true, stopChecking: true };
  }
  if (answer.kind === 'remind') {
    const deferredUntil = new Date(ctx.now.getTime() + answer.days * 86_400_000).toISOString();
    return {
      outcome: 'declined', state: 'deferred', deferredUntil, mustShutDown: false, stopChecking: false,
      reason: `The user asked to be reminded about ${version} in ${answer.days} day${answer.days === 1 ? '' : 's'}`,
    };
  }
  if (answer.kind === 'never') {
    return { outcome: 'declined', state: 'declined', mustShutDown: false, stopChecking: true, reason: `The user chose "do not ask me again" for ${version}: no more update checks in this session` };
  }
  return {
    outcome: 'declined', state: 'declined', mustShutDown: false, stopChecking: false,
    reason: ctx.phase === 'staged'
      ? `The user declined to install the downloaded update ${version}; asking again at the next check`
      : `The user declined the optional update to ${version}; asking again at the next check`,
  };
}
