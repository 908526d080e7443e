// Health that means current: a client is up to date only when it runs the version its group's policy targets now.
// Read at the time of asking, against today's policy and releases — not the state stored at the client's last
// check-in — so a revoked or retired version, or a policy edited since, is never counted as current. The same
// function classifies one client and one row of the counts table (group, version, stored state, target): the
// fleet's figures are a sum over a few hundred rows, never a scan of clients.
import { belowMinimumAutoUpgrade, decide } from './decide';
import type { ClientHealth, ClientState, Decision, FleetFacts, Policy, Release, WaitingReason } from './types';
import { compareVersions, isValidVersion } from './version';

export interface HealthInput {
  version: string;
  /** The state stored at the client's last check-in or report. */
  state: ClientState;
  /** The version its last decision pointed at. */
  targetVersion: string | null;
}

export interface HealthContext {
  policy: Policy;
  releases: readonly Release[];
  now: Date;
  /** Rollout outcomes (halts) and the fleet's minimum auto-upgrade version: what the check-in's decide() sees. */
  facts: FleetFacts;
}

export interface HealthVerdict {
  health: ClientHealth;
  /** When waiting: what holds it. */
  waitingFor?: WaitingReason;
  /** A sentence a person can read. */
  reason: string;
}

/**
 * The policy names no version at all (No Upgrade, nothing approved, a pin that is not approved): it keeps its clients
 * where they are. A client newer than a target that may not come down (downgrade-not-allowed) is not on its target.
 */
const KEPT_WHERE_IT_IS = new Set(['policy-no-upgrade', 'no-approved-release', 'pinned-version-not-approved']);

/**
 * The health of a client (or a class of clients sharing version, stored state and target). Decided by the same
 * decide() the check-in calls; what decide() cannot see from a class — the rollout bucket of one client id and a
 * running deferral — comes from the stored state, which the check-in wrote from that very decision.
 */
export function classifyHealth(c: HealthInput, ctx: HealthContext, decision?: Decision): HealthVerdict {
  const v = classifyByPolicy(c, ctx, decision ?? decideForVersion(c.version, ctx));
  // Seed 000, whatever the group: a client below the fleet's minimum that is not current cannot get there by itself.
  const min = ctx.facts.minimumAutoUpgradeVersion;
  if (v.health === 'behind' && belowMinimumAutoUpgrade(c.version, min)) {
    return { health: 'manual-required', reason: `${c.version} cannot upgrade itself (auto-upgrade needs ${min} or later): install a supported version by hand.` };
  }
  return v;
}

/**
 * What the check-in's decide() says for a version under the context, taking the client as in the rollout and not
 * deferring (those two are read from the stored state). It depends on the version alone, so a caller classifying
 * many rows decides once per group and version.
 */
export function decideForVersion(version: string, ctx: HealthContext): Decision {
  return decide({ id: '', version, deferredUntil: null }, { ...ctx.policy, rolloutPercent: 100 }, ctx.releases, ctx.now, ctx.facts);
}

function classifyByPolicy(c: HealthInput, ctx: HealthContext, d: Decision): HealthVerdict {
  if (!isValidVersion(c.version)) return { health: 'behind', reason: `It reports "${c.version}", which is not a version this server understands.` };
  if (d.reason === 'up-to-date') return { health: 'up-to-date', reason: d.message };
  if (d.action === 'manual') return { health: 'manual-required', reason: d.message };
  const target = d.release?.version ?? null;
  if (KEPT_WHERE_IT_IS.has(d.reason)) {
    // The policy keeps it where it is: current only if where it is is a supported (approved) release.
    const own = ctx.releases.find((r) => compareVersions(r.version, c.version) === 0);
    if (own?.state === 'approved') return { health: 'up-to-date', reason: `${d.message} ${own.version} is approved.` };
    if (c.state === 'failed') return { health: 'failed', reason: d.message };
    const what = own ? (own.state === 'retired' ? 'no longer supported (retired)' : own.state === 'revoked' ? 'revoked' : 'not approved') : 'not a registered release';
    return { health: 'behind', reason: `${c.version} is ${what}. ${d.message}` };
  }
  if (c.state === 'failed') return { health: 'failed', reason: target ? `It failed to move to ${target}.` : d.message };
  if (d.reason === 'outside-window') return { health: 'waiting', waitingFor: 'window', reason: d.message };
  if (d.reason === 'rollout-halted') return { health: 'waiting', waitingFor: 'halted', reason: d.message };
  if (d.action === 'offer' || d.action === 'force' || d.action === 'downgrade') {
    const sameTarget = target !== null && c.targetVersion !== null && compareVersions(c.targetVersion, target) === 0;
    if (c.state === 'deferred' && d.action === 'offer' && sameTarget) {
      return { health: 'waiting', waitingFor: 'deferral', reason: `The user asked to be reminded later about ${target}.` };
    }
    if (c.state === 'waiting' && sameTarget && ctx.policy.rolloutPercent < 100) {
      return { health: 'waiting', waitingFor: 'rollout', reason: `${target} is rolling out to ${ctx.policy.rolloutPercent}% of the group; this client is not in it yet.` };
    }
    return { health: 'behind', reason: d.message };
  }
  // A revoked version with nothing approved below it, and anything else decide() leaves where it is.
  return { health: 'behind', reason: d.message };
}

/** The last moment a check-in must have happened for a client to count as seen. */
export function notSeenCutoff(now: Date, notSeenDays: number): Date {
  return new Date(now.getTime() - notSeenDays * 86_400_000);
}

/** One client: not seen when its last check-in is older than notSeenDays, else as classifyHealth says. */
export function clientHealth(c: HealthInput & { lastSeen: string }, ctx: HealthContext, notSeenDays: number): HealthVerdict {
  const seen = Date.parse(c.lastSeen);
  if (Number.isFinite(seen) && seen < notSeenCutoff(ctx.now, notSeenDays).getTime()) {
    return { health: 'not-seen', reason: `No check-in for more than ${notSeenDays} day${notSeenDays === 1 ? '' : 's'} (last ${c.lastSeen}).` };
  }
  return classifyHealth(c, ctx);
}
