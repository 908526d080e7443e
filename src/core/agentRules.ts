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
  | { step: 'nothing'; why: 'no-update' | 'same-version' | 'deferred' | 'asked-at-start-up' | 'rolled-back' }
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
  /** A version this client rolled back from by itself because it failed to start: not installed again. */
  rolledBack?: string | null;
}

export function stepForCheck(d: Pick<CheckinResponse, 'action' | 'version' | 'mandatory'>, ctx: CheckContext): CheckStep {
  if (d.action === 'none' || !d.version) return { step: 'nothing', why: 'no-update' };
  // Seed 003: the same build number means no prompt.
  if (sameInstalledVersion(d.version, ctx.installed)) return { step: 'nothing', why: 'same-version' };
  if (ctx.rolledBack && sameInstalledVersion(ctx.rolledBack, d.version)) return { step: 'nothing', why: 'rolled-back' };
  if (d.action === 'manual') return { step: 'manual' };
  // Seed 003: a mandatory update is asked (declining it shuts the program down), whichever protocol says so.
  if (d.mandatory === true && d.action === 'force') return { step: 'ask' };
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
  /** The reminder choices the policy offers; a remind answer is fitted to them. */
  remindOptionsDays?: readonly number[];
}

/** Seed 000's reminder choices when a source offers none (the legacy ini, the share). */
export const DEFAULT_REMIND_OPTIONS_DAYS: readonly number[] = [1, 3, 7];

/**
 * "Remind me in N days" is limited to the choices the policy offers (seed 000: 1, 3, 7): the largest offered
 * choice not above N, else the smallest. An unattended `--answer remind:90` cannot silence a policy that offers 7.
 */
export function allowedRemindDays(days: number, options: readonly number[] | undefined): number {
  const offered = (options && options.length > 0 ? options : DEFAULT_REMIND_OPTIONS_DAYS).filter((d) => Number.isInteger(d) && d > 0);
  if (offered.length === 0) return days;
  const sorted = [...offered].sort((a, b) => a - b);
  const fit = sorted.filter((d) => d <= days);
  return fit.length > 0 ? fit[fit.length - 1] : sorted[0];
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
    const days = allowedRemindDays(answer.days, ctx.remindOptionsDays);
    const deferredUntil = new Date(ctx.now.getTime() + days * 86_400_000).toISOString();
    return {
      outcome: 'declined', state: 'deferred', deferredUntil, mustShutDown: false, stopChecking: false,
      reason: `The user asked to be reminded about ${version} in ${days} day${days === 1 ? '' : 's'}`,
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
