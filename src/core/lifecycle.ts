// Release lifecycle: pending ("download, test, and then approve") → approved → retired ("no longer supported");
// revoked after a rollback or a withdrawn approval. Every step records who and when.
import type { Release, ReleaseState } from './types';

export type LifecycleAction = 'approve' | 'revoke' | 'retire';

export type LifecycleResult =
  | { ok: true; release: Release }
  | { ok: false; code: 'illegal-transition' | 'already-in-state'; message: string };

/** Which states each action may start from. A retired or revoked release can be approved again: rollback needs that (seed 000). */
const ALLOWED_FROM: Record<LifecycleAction, readonly ReleaseState[]> = {
  approve: ['pending', 'retired', 'revoked'],
  revoke: ['approved'],
  retire: ['pending', 'approved', 'revoked'],
};

/**
 * A release keeps only its latest transitions: every check-in reads the releases, so an approve/revoke loop must
 * not make them grow without bound. The full history is in the audit log.
 */
export const MAX_TRANSITIONS = 50;

const TARGET: Record<LifecycleAction, ReleaseState> = { approve: 'approved', revoke: 'revoked', retire: 'retired' };

export const STATE_LABEL: Record<ReleaseState, string> = {
  pending: 'Download, test, and then approve',
  approved: 'Approved',
  retired: 'No longer supported',
  revoked: 'Revoked',
};

export function canApply(state: ReleaseState, action: LifecycleAction): boolean {
  return ALLOWED_FROM[action].includes(state);
}

export function applyLifecycle(release: Release, action: LifecycleAction, by: string, at: Date | string, note?: string): LifecycleResult {
  const to = TARGET[action];
  if (release.state === to) {
    return { ok: false, code: 'already-in-state', message: `Release ${release.version} is already ${to}.` };
  }
  if (!canApply(release.state, action)) {
    const from = ALLOWED_FROM[action].join(' or ');
    return {
      ok: false,
      code: 'illegal-transition',
      message: `Cannot ${action} release ${release.version}: it is ${release.state}; only a release that is ${from} can be ${to === 'approved' ? 'approved' : to}.`,
    };
  }
  const when = typeof at === 'string' ? at : at.toISOString();
  return {
    ok: true,
    release: {
      ...release,
      state: to,
      transitions: [...release.transitions, { from: release.state, to, by, at: when, ...(note ? { note } : {}) }].slice(-MAX_TRANSITIONS),
    },
  };
}
