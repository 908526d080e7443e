// Table shapes as Kysely sees them. JSON columns are TEXT on SQLite and on PostgreSQL alike, so the same
// queries run on both; the store parses them.
import type { Generated } from 'kysely';

export interface ReleaseTable {
  id: string;
  version: string;
  channel: string;
  notes: string;
  mandatory: number;
  url: string | null;
  size: number | null;
  sha256: string | null;
  signature: string | null;
  state: string;
  created_at: string;
  created_by: string;
  /** JSON array of ReleaseTransition. */
  transitions: string;
  /** Migration 0006: the release id a rollback sends this release's clients back to. */
  rollback_to: string | null;
}

/** One release's rollout in one group (migration 0006). */
export interface RolloutTable {
  release_id: string;
  group_id: string;
  state: string;
  reason: string | null;
  at: string;
  by: string;
  base_attempted: number;
  base_failed: number;
  promoted_at: string | null;
}

export interface GroupTable {
  id: string;
  name: string;
  /** Lower-cased name: group paths accept the name in any case, and names are unique regardless of case. */
  name_key: string;
  description: string;
  /** JSON Policy. */
  policy: string;
  created_at: string;
}

export interface ClientTable {
  /** SQLite's rowid, spelled out so the trigram index can point at it (and PostgreSQL gets a serial key). */
  seq: Generated<number>;
  id: string;
  name: string;
  computer: string;
  ip: string;
  user_name: string;
  group_id: string;
  version: string;
  state: string;
  target_version: string | null;
  reason: string | null;
  deferred_until: string | null;
  last_seen: string;
  /** The connection's address at the last check-in (migration 0004); the agent's own word is `ip`. */
  address: string | null;
}

/** Clients per (group, version, state, target version), kept by triggers on clients (migration 0002). */
export interface ClientCountsTable {
  group_id: string;
  version: string;
  state: string;
  /** '' when the clients have no target version. */
  target: string;
  n: number;
}

export interface ClientHistoryTable {
  id: Generated<number>;
  client_id: string;
  at: string;
  state: string;
  version: string;
  target_version: string | null;
  reason: string | null;
}

export interface AuditTable {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: string;
}

export interface TokenTable {
  id: string;
  name: string;
  role: string;
  /** sha256 of the secret, hex. The secret itself is never stored. */
  hash: string;
  created_at: string;
}

/** A client's credential and admission status (migration 0004). */
export interface ClientCredentialTable {
  client_id: string;
  /** sha256 of the client's secret, hex; null for an id without a secret of its own. */
  secret_hash: string | null;
  status: string;
  name: string;
  computer: string;
  ip: string;
  user_name: string;
  address: string;
  enrolled_at: string;
  decided_at: string | null;
  decided_by: string | null;
}

export interface Database {
  releases: ReleaseTable;
  groups: GroupTable;
  clients: ClientTable;
  client_counts: ClientCountsTable;
  client_history: ClientHistoryTable;
  audit: AuditTable;
  tokens: TokenTable;
  rollouts: RolloutTable;
  client_credentials: ClientCredentialTable;
  fleet_settings: FleetSettingsTable;
}

/** Fleet-wide settings (migration 0005): one JSON value per key. */
export interface FleetSettingsTable {
  key: string;
  value: string;
}
