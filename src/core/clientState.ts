// What the server records about a client after a check-in: the decision, read together with what the agent
// says it is doing. Pure, so the rule is tested once and the server only stores the result.
import type { Client, ClientState, Decision } from './types';

/** States the agent owns while an update is under way: a check-in does not overwrite them for the same target. */
const AGENT_PROGRESS: readonly ClientState[] = ['downloading', 'staged', 'installed-pending-restart', 'deferred', 'declined', 'failed'];

export interface RecordedState {
  state: ClientState;
  targetVersion: string | null;
  reason: string | null;
}

export function stateAfterCheckin(decision: Decision, reported: ClientState | undefined, previous: Pick<Client, 'state' | 'targetVersion' | 'reason'> | undefined): RecordedState {
  const target = decision.release?.version ?? null;
  const sameTarget = !!previous && previous.targetVersion === target && target !== null;
  if (decision.reason === 'up-to-date') return { state: 'up-to-date', targetVersion: target, reason: null };
  if (decision.action === 'manual') return { state: 'manual-required', targetVersion: target, reason: decision.message };
  if (decision.action === 'offer' || decision.action === 'force' || decision.action === 'downgrade') {
    if (reported && AGENT_PROGRESS.includes(reported) && sameTarget) {
      // The agent is still on it (or failed at it): keep what it said, with the reason it gave.
      return { state: reported, targetVersion: target, reason: reported === previous?.state ? previous.reason : decision.message };
    }
    return { state: 'available', targetVersion: target, reason: decision.message };
  }
  if (decision.reason === 'deferred-until') return { state: 'deferred', targetVersion: target, reason: decision.message };
  // Held: an update is approved for it, but not now (outside the window, not in the rollout yet, rollout halted or paused).
  // Stored as waiting, never as up-to-date: the fleet's health counts it apart from the clients that are current.
  if (decision.reason === 'outside-window' || decision.reason === 'rollout-halted' || decision.reason === 'rollout-paused' || decision.reason === 'not-in-rollout') {
    if (reported === 'failed' && sameTarget) return { state: 'failed', targetVersion: target, reason: previous?.reason ?? decision.message };
    return { state: 'waiting', targetVersion: target, reason: decision.message };
  }
  if (decision.reason === 'invalid-client-version') return { state: 'unknown', targetVersion: null, reason: decision.message };
  // Nothing to do under the group's policy (no upgrade, downgrade not allowed, …):
  // the client is where its policy wants it. A failure the agent still reports stays visible.
  if (reported === 'failed' && previous?.state === 'failed') return { state: 'failed', targetVersion: previous.targetVersion, reason: previous.reason };
  return { state: 'up-to-date', targetVersion: target, reason: decision.message };
}
