// The decision: which version a client gets, whether now, and why not.
// The server's check-in and the policy preview both call decide(), so a preview is exactly what will happen.
import type { Decision, FleetFacts, Policy, Release } from './types';
import { isInWindow, nextWindowStart } from './policy';
import { rollbackTargetFor } from './rollback';
import { ringHolds } from './rings';
import { rolloutHalt } from './rollout';
import { compareVersions, isPrerelease, isValidVersion } from './version';

export interface DecisionClient {
  id: string;
  version: string;
  /** "Remind me in N days" (seed 000): no offer before this time unless the update is forced. */
  deferredUntil?: string | null;
}

/** One step of 32-bit FNV-1a: the hash's state after one more character code. */
export function fnvStep(state: number, charCode: number): number {
  return Math.imul(state ^ charCode, 0x01000193) >>> 0;
}

/** FNV-1a continued from `state` over `text`: stableHash(a + b) is continueHash(stableHash(a), b). */
export function continueHash(state: number, text: string): number {
  let h = state;
  for (let i = 0; i < text.length; i++) h = fnvStep(h, text.charCodeAt(i));
  return h;
}

/** 32-bit FNV-1a: a stable hash, so the same client gets the same rollout answer every time and on every server. */
export function stableHash(text: string): number {
  return continueHash(0x811c9dc5, text);
}

/** Rollout buckets: a client is in the first `percent` when its hash modulo this is below rolloutThreshold(). */
export const ROLLOUT_BUCKETS = 10_000;
export function rolloutThreshold(percent: number): number {
  return Math.round(percent * 100);
}

/** The rollout rule over a hash: in the first `percent` of the buckets (0 < percent < 100). */
export function inRolloutBucket(hash: number, percent: number): boolean {
  return hash % ROLLOUT_BUCKETS < rolloutThreshold(percent);
}

/** Whether a client is in the first `percent` of a release's rollout. */
export function inRollout(clientId: string, releaseId: string, percent: number): boolean {
  if (percent >= 100) return true;
  if (percent <= 0) return false;
  return inRolloutBucket(stableHash(`${releaseId}:${clientId}`), percent);
}

export function takesChannel(policy: Policy, release: Release): boolean {
  const beta = release.channel === 'beta' || isPrerelease(release.version);
  return !beta || policy.channel === 'beta';
}

export type TargetResult =
  | { ok: true; release: Release }
  | { ok: false; reason: 'policy-no-upgrade' | 'no-approved-release' | 'pinned-version-not-approved'; message: string };

/**
 * The version a policy points its clients at, before looking at any one client. `facts` (scoped to the group) tells
 * which releases a ring still holds back from it.
 */
export function targetFor(policy: Policy, releases: readonly Release[], facts?: FleetFacts): TargetResult {
  if (policy.mode === 'none') {
    return { ok: false, reason: 'policy-no-upgrade', message: 'The group\'s policy is "No Upgrade".' };
  }
  if (policy.mode === 'pinned') {
    const pin = policy.pinnedVersion ?? '';
    const rel = isValidVersion(pin) ? releases.find((r) => compareVersions(r.version, pin) === 0) : undefined;
    if (!rel || rel.state !== 'approved') {
      const state = rel ? ` (it is ${rel.state})` : ' (no such release)';
      return { ok: false, reason: 'pinned-version-not-approved', message: `The policy is "Only upgrade to ${pin}", but ${pin} is not approved${state}.` };
    }
    if (!takesChannel(policy, rel)) {
      return { ok: false, reason: 'pinned-version-not-approved', message: `${pin} is a beta release and this group does not take the beta channel.` };
    }
    return { ok: true, release: rel };
  }
  let best: Release | undefined;
  let held: Release | undefined;
  for (const r of releases) {
    if (r.state !== 'approved' || !takesChannel(policy, r)) continue;
    if (ringHolds(policy, facts?.rollouts?.[r.id])) {
      if (!held || compareVersions(r.version, held.version) > 0) held = r;
      continue;
    }
    if (!best || compareVersions(r.version, best.version) > 0) best = r;
  }
  if (!best && held) {
    return { ok: false, reason: 'no-approved-release', message: `${held.version} waits for the ring: it reaches this group once it succeeded in the group before it.` };
  }
  if (!best) {
    return {
      ok: false,
      reason: 'no-approved-release',
      message: policy.channel === 'beta' ? 'No release is approved yet.' : 'No stable release is approved yet.',
    };
  }
  return { ok: true, release: best };
}

/** Seed 000: a client below the fleet's minimum auto-upgrade version cannot upgrade itself, whatever its group. */
export function belowMinimumAutoUpgrade(clientVersion: string, minimum: string | null | undefined): minimum is string {
  return !!minimum && isValidVersion(minimum) && isValidVersion(clientVersion) && compareVersions(clientVersion, minimum) < 0;
}

export function decide(client: DecisionClient, policy: Policy, releases: readonly Release[], now: Date, facts: FleetFacts): Decision {
  if (!isValidVersion(client.version)) {
    return { action: 'none', reason: 'invalid-client-version', message: `The client reported "${client.version}", which is not a version this server understands.` };
  }
  const target = targetFor(policy, releases, facts);

  // Clients on a revoked release go back to the highest approved version below it, whatever the
  // downgrade setting says (seed 000) — unless the policy already points them at a newer approved release.
  const current = releases.find((r) => compareVersions(r.version, client.version) === 0);
  if (current?.state === 'revoked' && !(target.ok && compareVersions(target.release.version, client.version) > 0)) {
    const back = rollbackTargetFor(current, releases);
    if (!back) {
      return { action: 'none', reason: 'rollback-target-not-approved', message: `${current.version} was revoked, but no older version is approved to roll back to.` };
    }
    return { action: 'downgrade', release: back, reason: 'rollback', message: `${current.version} was rolled back; go back to ${back.version}.` };
  }

  if (!target.ok) return { action: 'none', reason: target.reason, message: target.message };
  const release = target.release;
  const cmp = compareVersions(client.version, release.version);
  if (cmp === 0) {
    return { action: 'none', release, reason: 'up-to-date', message: `Already on ${release.version}.` };
  }

  let action: Decision['action'];
  let reason: Decision['reason'];
  let message: string;
  if (cmp > 0) {
    if (!policy.allowDowngrade) {
      return { action: 'none', release, reason: 'downgrade-not-allowed', message: `${client.version} is newer than ${release.version} and the policy does not allow downgrades; the client stays as it is.` };
    }
    action = 'downgrade';
    reason = 'downgrade-allowed';
    message = `The policy allows downgrades: go from ${client.version} to ${release.version}.`;
  } else {
    const min = facts.minimumAutoUpgradeVersion;
    if (belowMinimumAutoUpgrade(client.version, min)) {
      return {
        action: 'manual',
        release,
        reason: 'manual-install-required',
        message: `${client.version} cannot upgrade itself (auto-upgrade needs ${min} or later); install ${release.version} by hand.`,
      };
    }
    const halt = rolloutHalt(release, policy.failureThresholdPercent, facts.outcomesByRelease[release.id], facts.rollouts?.[release.id]);
    if (halt.halted) {
      return { action: 'none', release, reason: halt.state === 'paused' ? 'rollout-paused' : 'rollout-halted', message: halt.message };
    }
    if (!inRollout(client.id, release.id, policy.rolloutPercent)) {
      return { action: 'none', release, reason: 'not-in-rollout', message: `${release.version} is rolling out to ${policy.rolloutPercent}% of the group; this client is not in it yet.` };
    }
    if (release.mandatory) {
      action = 'force';
      reason = 'mandatory-release';
      message = `${release.version} is mandatory.`;
    } else if (policy.delivery === 'forced') {
      action = 'force';
      reason = 'forced-by-policy';
      message = `The policy forces upgrades: install ${release.version}.`;
    } else {
      action = 'offer';
      reason = policy.mode === 'pinned' ? 'pinned-version' : 'upgrade-available';
      message = `${release.version} is available; install now or be reminded later.`;
    }
  }

  if (!isInWindow(policy.window, now)) {
    const next = nextWindowStart(policy.window!, now);
    return {
      action: 'none',
      release,
      reason: 'outside-window',
      message: `${release.version} waits for the distribution window ${policy.window!.start}–${policy.window!.end} (${policy.window!.timeZone}).`,
      notBefore: next.toISOString(),
    };
  }
  if (action === 'offer' && client.deferredUntil) {
    const until = Date.parse(client.deferredUntil);
    if (Number.isFinite(until) && until > now.getTime()) {
      return {
        action: 'none',
        release,
        reason: 'deferred-until',
        message: `The user asked to be reminded later; ${release.version} is offered again after ${new Date(until).toISOString()}.`,
        notBefore: new Date(until).toISOString(),
      };
    }
  }
  return { action, release, reason, message };
}
