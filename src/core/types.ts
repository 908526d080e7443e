// The domain vocabulary, one name for one thing from the wire to the tree label:
// release, approval, group, policy, client, check-in, rollback.
import type { RolloutRecord } from './rollout';

export type Channel = 'stable' | 'beta';

/** pending = "download, test, and then approve"; retired = "no longer supported"; revoked = rolled back. */
export type ReleaseState = 'pending' | 'approved' | 'retired' | 'revoked';

export interface Artifact {
  /** Where agents download the package. Empty until bytes are uploaded or an external URL is registered. */
  url?: string;
  size?: number;
  sha256?: string;
  /** base64 ed25519 signature over the package bytes, when the publisher signs packages. */
  signature?: string;
}

export interface ReleaseTransition {
  from: ReleaseState | null;
  to: ReleaseState;
  by: string;
  /** ISO-8601 time. */
  at: string;
  note?: string;
}

export interface Release {
  id: string;
  version: string;
  channel: Channel;
  notes: string;
  mandatory: boolean;
  artifact: Artifact;
  state: ReleaseState;
  createdAt: string;
  createdBy: string;
  /** Every lifecycle step with who and when, oldest first (the first entry is the registration). */
  transitions: ReleaseTransition[];
  /** Set by a rollback: the release id its clients go back to (where they came from), while it stays approved. */
  rollbackTo?: string | null;
}

export type PolicyMode = 'none' | 'auto' | 'pinned';
export type Delivery = 'forced' | 'on-demand';

export interface DistributionWindow {
  /** Local wall-clock "HH:MM" in timeZone; a window whose end is before its start crosses midnight. */
  start: string;
  end: string;
  /** IANA time zone, e.g. "Europe/Berlin" or "UTC". */
  timeZone: string;
}

export interface Policy {
  /** none = "No Upgrade", auto = "Auto Upgrade", pinned = "Only upgrade to X". */
  mode: PolicyMode;
  /** Required when mode is pinned. */
  pinnedVersion?: string | null;
  /** stable = approved stable releases only; beta = also approved beta releases. */
  channel: Channel;
  delivery: Delivery;
  /** On-demand reminder choices offered to the user, in days (seed 000: 1, 3, 7). */
  remindOptionsDays: number[];
  /** Distribution time range, or null for any time. */
  window: DistributionWindow | null;
  /** Clients newer than the target may be taken down to it (seed 001). */
  allowDowngrade: boolean;
  /** How often agents check in (seed 002: the update interval). */
  checkIntervalSeconds: number;
  /** First check this long after the program starts (seed 002: 5 minutes). */
  startupDelaySeconds: number;
  /** Share of the group's clients that get a new release, by a stable hash of client and release. 0..100. */
  rolloutPercent: number;
  /** A release whose failure rate in this fleet exceeds this percent is halted. 0..100. */
  failureThresholdPercent: number;
  /** Optional ring: new releases reach this group only once they succeeded in the named group. */
  ring?: RingRule | null;
}

/** "After T hours in group G, with at least N% installed and less than M% failed, promote the release here." */
export interface RingRule {
  groupId: string;
  minInstalledPercent: number;
  maxFailedPercent: number;
  afterHours: number;
}

export interface Group {
  id: string;
  name: string;
  description: string;
  policy: Policy;
}

export type ClientState =
  | 'up-to-date'
  | 'available'
  | 'downloading'
  | 'staged'
  | 'installed-pending-restart'
  | 'deferred'
  | 'declined'
  | 'failed'
  | 'manual-required'
  /** An update is approved for it but held: not in the rollout yet, outside the window, or the rollout is halted. */
  | 'waiting'
  | 'unknown';

export const CLIENT_STATES: readonly ClientState[] = [
  'up-to-date', 'available', 'downloading', 'staged', 'installed-pending-restart',
  'deferred', 'declined', 'failed', 'manual-required', 'waiting', 'unknown',
];

export interface Client {
  id: string;
  name: string;
  computer: string;
  ip: string;
  /** Last logged-in user. */
  user: string;
  groupId: string;
  version: string;
  state: ClientState;
  /** The version the last decision pointed at, if any. */
  targetVersion: string | null;
  /** Why: a failure reason, a decision reason, a decline. Human-readable. */
  reason: string | null;
  /** When state is deferred: until when (ISO-8601). */
  deferredUntil: string | null;
  lastSeen: string;
  /** The address the server saw the last check-in come from (the `ip` is what the agent says). */
  address?: string | null;
  /** Its health now, against its group's policy (in the server's list and detail answers; see core/health.ts). */
  health?: ClientHealth;
  /** Why, in a sentence. */
  healthReason?: string;
}

export interface ClientHistoryEntry {
  at: string;
  state: ClientState;
  version: string;
  targetVersion: string | null;
  reason: string | null;
}

export type DecisionAction = 'none' | 'offer' | 'force' | 'downgrade' | 'manual';

export type ReasonCode =
  | 'up-to-date'
  | 'upgrade-available'
  | 'mandatory-release'
  | 'forced-by-policy'
  | 'policy-no-upgrade'
  | 'no-approved-release'
  | 'outside-window'
  | 'not-in-rollout'
  | 'rollout-halted'
  | 'rollout-paused'
  | 'pinned-version-not-approved'
  | 'pinned-version'
  | 'downgrade-allowed'
  | 'downgrade-not-allowed'
  | 'manual-install-required'
  | 'deferred-until'
  | 'rollback'
  | 'rollback-target-not-approved'
  | 'invalid-client-version';

export interface Decision {
  action: DecisionAction;
  /** The release the client should move to (absent when action is none, except for outside-window / deferred where it names what waits). */
  release?: Release;
  reason: ReasonCode;
  /** A sentence a person can read. */
  message: string;
  /** For outside-window: the next window start; for deferred-until: the end of the deferral. ISO-8601. */
  notBefore?: string;
}

/** What the fleet as a whole knows that a single decision needs. */
export interface FleetFacts {
  /** Per release id: how many clients attempted it and how many failed (drives the rollout halt). */
  outcomesByRelease: Record<string, { attempted: number; failed: number }>;
  /** Per release id: the rollout recorded for the deciding client's group (halted, paused, promoted by a ring). */
  rollouts?: Record<string, RolloutRecord>;
  /**
   * Seed 000: clients below this version cannot upgrade themselves and need a manual install ("versions later than
   * 1.2.2"). A property of the client's version, fleet-wide, whatever its group.
   */
  minimumAutoUpgradeVersion?: string | null;
}

/**
 * What a client's health is, read against its group's policy now (not what was stored at its last check-in):
 * up-to-date only on the version its policy targets; waiting when an update is held (rollout percentage, window,
 * deferral, a halted rollout); behind when it should move and is not held; failed; manual-required below the
 * fleet's minimum auto-upgrade version; not-seen after no check-in for the server's number of days.
 */
export type ClientHealth = 'up-to-date' | 'waiting' | 'behind' | 'failed' | 'manual-required' | 'not-seen';
export const CLIENT_HEALTHS: readonly ClientHealth[] = ['up-to-date', 'waiting', 'behind', 'failed', 'manual-required', 'not-seen'];
/** Why a waiting client waits. */
export type WaitingReason = 'rollout' | 'window' | 'deferral' | 'halted';

export interface HealthSummary {
  /** Every client, seen or not. */
  total: number;
  /** Stored upgrade states (what the agents last said), all clients. */
  byState: Partial<Record<ClientState, number>>;
  byVersion: Record<string, number>;
  /** Clients by health; sums to total. */
  byHealth: Record<ClientHealth, number>;
  /** The waiting clients by what holds them. */
  waitingFor: Partial<Record<WaitingReason, number>>;
  /** Clients that checked in within notSeenDays: the base of the percentages. */
  seen: number;
  notSeenDays: number;
  /** Clients on the version their group's policy targets now. */
  upToDate: number;
  /** 0..100, one decimal, of the clients seen. 100 when none were seen. */
  percentUpToDate: number;
  failed: number;
  /** 0..100, one decimal, of the clients seen. */
  percentFailed: number;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: string;
}
