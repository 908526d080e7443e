// Wire contract v1: the JSON shapes the server, the agent and the extension exchange.
// The server validates them with JSON schema; these are the TypeScript views of the same shapes.
import type {
  AuditEntry, Channel, Client, ClientHistoryEntry, ClientState, DecisionAction, Group, HealthSummary,
  Policy, ReasonCode, Release,
} from './types';
import type { RolloutProgress, RolloutState } from './rollout';
import type { AdmissionMode, CredentialStatus } from './admission';

export const API_PREFIX = '/api/v1';
export const AGENT_PREFIX = '/agent/v1';

export type Role = 'viewer' | 'operator' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

/** Every error body: a stable code and a sentence a person can act on. */
export interface ApiErrorBody {
  error: { code: string; message: string };
}

// ---- agent API --------------------------------------------------------------------------------

export interface CheckinRequest {
  clientId: string;
  name: string;
  computer: string;
  ip: string;
  user: string;
  version: string;
  /** Optional: the agent's own view of its state (e.g. staged, deferred). */
  state?: ClientState;
  /** When the user chose "remind me in N days": until when (ISO-8601). */
  deferredUntil?: string | null;
  /** A one-time value from an agent that verifies signed decisions; the server signs it into the answer. */
  nonce?: string;
}

export interface CheckinResponse {
  action: DecisionAction;
  version?: string;
  url?: string;
  sha256?: string;
  size?: number;
  signature?: string;
  mandatory?: boolean;
  delivery?: 'forced' | 'on-demand';
  remindOptionsDays?: number[];
  reason: ReasonCode;
  message: string;
  /** ISO-8601: next window start, or end of a deferral. */
  notBefore?: string;
  nextCheckSeconds: number;
  startupDelaySeconds: number;
  /** Signed decisions (src/core/signedDecision.ts), on answers that name a version to install: until when it holds. */
  expiresAt?: string;
  /** base64 ed25519 signature over decisionSigningBytes(). */
  decisionSignature?: string;
  /** Which server key signed it: the first 16 hex digits of the sha256 of the raw public key. */
  signingKeyId?: string;
}

export interface ReportRequest {
  clientId: string;
  state: ClientState;
  /** The version now installed. */
  version?: string;
  /** The version the update was about. */
  targetVersion?: string | null;
  /** Failure reason or decline, in words. */
  reason?: string | null;
  deferredUntil?: string | null;
  /** Download progress 0..100 (informational). */
  progress?: number;
}

export interface ReportResponse {
  ok: true;
}

/** POST /agent/v1/enroll, with the enrollment token: the client's id and its own secret (only its sha256 is kept). */
export interface EnrollRequest {
  clientId: string;
  /** 32 or more random bytes, base64url. */
  secret: string;
  name: string;
  computer: string;
  ip: string;
  user: string;
}

export interface EnrollResponse {
  clientId: string;
  status: CredentialStatus;
  message: string;
}

// ---- admin API --------------------------------------------------------------------------------

export interface HealthResponse {
  status: 'ok';
  version: string;
  store: 'sqlite' | 'postgres';
}

export interface Page<T> {
  items: T[];
  /** Opaque; pass back as ?cursor= for the next page. Absent on the last page. */
  nextCursor?: string;
  /** Total matching rows, when the server can count them cheaply. */
  total?: number;
  /** The total is a floor: the server stopped counting there ("10,000+"). */
  totalCapped?: boolean;
}

export interface ReleaseView extends Release {
  /** Approved releases: their rollout in each group they go to (progress from the counts, halt state). */
  rollouts?: RolloutView[];
  /** How many clients run this version now. */
  clientCount: number;
}

export interface RegisterReleaseRequest {
  version: string;
  channel?: Channel;
  notes?: string;
  mandatory?: boolean;
  url?: string;
  sha256?: string;
  size?: number;
  signature?: string;
}

export interface LifecycleRequest {
  note?: string;
}

export interface RollbackRequest {
  /** Approve the target version as part of the rollback when it is not approved yet. */
  approveTarget?: boolean;
  /** Only compute the plan, change nothing. */
  dryRun?: boolean;
  note?: string;
  /** The target is retired ("no longer supported"): approve it anyway. Without this a retired target is refused. */
  reviveRetired?: boolean;
}

export interface RollbackPlanView {
  release: string;
  /** The version clients on the release move to. */
  targetVersion: string | null;
  targetReleaseId: string | null;
  /** When the target is not approved: the version that must be approved first (seed 000). */
  mustApproveVersion: string | null;
  /** The target's state now (approved, pending, retired): the dialog names it. */
  targetState: Release['state'] | null;
  /** Approving the target revives a retired ("no longer supported") version. */
  revivesRetired: boolean;
  /** history: the version most affected clients ran before; highest-below: no history, the highest version below. */
  basis: 'history' | 'highest-below';
  /** Of the affected clients sampled, how many came from the target (history basis). */
  originClients: number;
  affectedClients: number;
  carriedOut: boolean;
}

export interface GroupView extends Group {
  clientCount: number;
}

export interface CreateGroupRequest {
  name: string;
  description?: string;
  policy?: Partial<Policy>;
}

export interface PreviewClientRow {
  client: Client;
  action: DecisionAction;
  targetVersion: string | null;
  reason: ReasonCode;
  message: string;
}

export interface PolicyPreviewResponse {
  counts: Record<DecisionAction, number>;
  total: number;
  clients: PreviewClientRow[];
}

export interface ClientDetail extends Client {
  groupName: string;
  history: ClientHistoryEntry[];
}

export interface MoveClientRequest {
  groupId: string;
}

/** Fleet-wide settings (GET/PUT /api/v1/settings). */
export interface FleetSettings {
  /**
   * Seed 000: clients below this version cannot upgrade themselves ("versions later than 1.2.2" can); they need a
   * manual install, whatever their group. null: every version can.
   */
  minimumAutoUpgradeVersion: string | null;
}

export interface SummaryResponse {
  overall: HealthSummary;
  byGroup: Record<string, HealthSummary>;
  /** The newest approved stable release, if any. */
  latestApproved: string | null;
}

export type AuditPage = Page<AuditEntry>;

/** A pending, rejected or decommissioned client (GET /api/v1/enrollments). */
export interface EnrollmentView {
  clientId: string;
  status: CredentialStatus;
  name: string;
  computer: string;
  /** What the agent reported. */
  ip: string;
  user: string;
  /** The connection's address at enrollment. */
  address: string;
  enrolledAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
}

export interface EnrollmentsPage {
  items: EnrollmentView[];
  total: number;
  admission: AdmissionMode;
}

export interface RotatedEnrollmentToken {
  /** The new enrollment token, shown once. */
  token: string;
  id: string;
  name: string;
  createdAt: string;
}

/** Server-sent events on /api/v1/events. `event:` is the type, `data:` the JSON payload. */
export type ServerEvent =
  | { type: 'release'; releaseId: string; version: string; state: Release['state'] }
  | { type: 'policy'; groupId: string }
  | { type: 'group'; groupId: string }
  /** The fleet-wide settings changed (GET /api/v1/settings). */
  | { type: 'settings' }
  | { type: 'clients'; changed: number; groupIds: string[] }
  | { type: 'summary'; summary: HealthSummary }
  | RolloutEvent;

/** A rollout changed state: halted by the failure rule, paused or resumed by an admin, promoted by a ring. */
export interface RolloutEvent {
  type: 'rollout';
  releaseId: string;
  version: string;
  groupId: string;
  groupName: string;
  change: 'halted' | 'paused' | 'resumed' | 'promoted';
  /** Why, in a sentence: the failure rate, the admin's note, what the resume reset, the ring's verdict. */
  reason: string;
  by: string;
}

/** One release's rollout in one group, as the console shows it. */
export interface RolloutView {
  groupId: string;
  groupName: string;
  state: RolloutState;
  /** Why it is halted or paused (or what the last resume reset); null while it simply runs. */
  reason: string | null;
  /** When and by whom the state last changed; null when nothing was recorded yet. */
  at: string | null;
  by: string | null;
  progress: RolloutProgress;
  /** The group waits for a ring: the release has not been promoted to it yet. */
  heldByRing: boolean;
  promotedAt: string | null;
}

export interface RolloutRequest {
  /** Only this group's rollout; without it, every group the release goes to. */
  groupId?: string;
  note?: string;
}

/** What Pause Rollout or Resume Rollout did. */
export interface RolloutChangeResponse {
  release: string;
  changed: Array<{ groupId: string; groupName: string }>;
  /** Resume: what was reset, in words. */
  message: string;
}
