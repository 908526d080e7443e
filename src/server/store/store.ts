// The fleet's data behind one async interface, SQL through Kysely so the same code runs on SQLite (embedded
// default) and PostgreSQL. Nothing here decides anything: that is src/core's job. Finding and listing clients,
// credentials, the audit log and API tokens have files of their own (clientQueries.ts, credentials.ts, auditLog.ts,
// tokens.ts), reached as store.clientQueries, store.credentials, store.audit and store.tokens.
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Selectable, type Updateable } from 'kysely';
import type { FleetSettings } from '../../core/wire';
import type {
  Client, ClientHistoryEntry, ClientState, Group, Policy, Release, ReleaseState, ReleaseTransition,
} from '../../core/types';
import type { StateVersionCount } from '../../core/summary';
import type { RolloutRecord, RolloutState } from '../../core/rollout';
import type { RollbackOrigin } from '../../core/rollback';
import { InCodeMigrations, type Dialect } from './migrations';
import { ClientWriter } from './clientWriter';
import { READ_CLIENT_SQL, READ_CREDENTIAL_SQL, type ClientRow } from './clientWrites';
import { GroupCommit, type BetterSqlite3Database } from './groupCommit';
import { AGENT_CLIENT_COLUMNS, PgAgentReads } from './pgAgentReads';
import { PgGroupCommit } from './pgGroupCommit';
import { AuditLog } from './auditLog';
import { Credentials, rowToCredential, type CredentialRecord } from './credentials';
import { Tokens } from './tokens';
import { ClientQueries, rowToClient } from './clientQueries';
import type { ClientCredentialTable, ClientTable, Database, GroupTable, ReleaseTable } from './schema';

/** A client's history is bounded: the newest entries are what an admin needs, and a million clients must fit. */
export const HISTORY_PER_CLIENT = 50;

/** A rollback reads the history of at most this many of the affected clients (each at most HISTORY_PER_CLIENT rows). */
export const ROLLBACK_SAMPLE = 1_000;

/** How long a statement waits for a lock held by another connection. */
const BUSY_TIMEOUT_MS = 5_000;

import { defineSqliteFunctions } from './sqliteFunctions';

export { defineSqliteFunctions };

export interface ClientCount extends StateVersionCount {
  groupId: string;
  targetVersion: string | null;
}

export interface CheckinWrite {
  id: string;
  name: string;
  computer: string;
  ip: string;
  user: string;
  version: string;
  state: ClientState;
  targetVersion: string | null;
  reason: string | null;
  deferredUntil: string | null;
  at: string;
  /** For a client seen for the first time. */
  groupId: string;
  /** The connection's address (a check-in); a report keeps the one recorded. */
  address?: string | null;
}

export interface OpenOptions {
  /** Path of the SQLite file (WAL mode), or ':memory:'. */
  sqliteFile?: string;
  /** postgres://… for the PostgreSQL backend. */
  postgresUrl?: string;
  /** A second, read-only connection (the heavy-read worker's): no migrations, no writes. */
  readonly?: boolean;
  /**
   * SQLite file: check-in and report writes (and the check-in's read) run on a thread of their own (see
   * writerWorker.ts), and the heavy-read worker checkpoints the WAL, so neither the page changes of a write nor a
   * checkpoint's copy and fsync stop the event loop.
   */
  writerThread?: boolean;
}

function rowToRelease(r: Selectable<ReleaseTable>): Release {
  return {
    id: r.id,
    version: r.version,
    channel: r.channel === 'beta' ? 'beta' : 'stable',
    notes: r.notes,
    mandatory: !!r.mandatory,
    artifact: {
      ...(r.url ? { url: r.url } : {}),
      ...(r.size !== null && r.size !== undefined ? { size: Number(r.size) } : {}),
      ...(r.sha256 ? { sha256: r.sha256 } : {}),
      ...(r.signature ? { signature: r.signature } : {}),
    },
    state: r.state as ReleaseState,
    createdAt: r.created_at,
    createdBy: r.created_by,
    transitions: JSON.parse(r.transitions) as ReleaseTransition[],
    ...(r.rollback_to ? { rollbackTo: r.rollback_to } : {}),
  };
}

function releaseToRow(r: Release): ReleaseTable {
  return {
    id: r.id,
    version: r.version,
    channel: r.channel,
    notes: r.notes,
    mandatory: r.mandatory ? 1 : 0,
    url: r.artifact.url ?? null,
    size: r.artifact.size ?? null,
    sha256: r.artifact.sha256 ?? null,
    signature: r.artifact.signature ?? null,
    state: r.state,
    created_at: r.createdAt,
    created_by: r.createdBy,
    transitions: JSON.stringify(r.transitions),
    rollback_to: r.rollbackTo ?? null,
  };
}

function rowToGroup(r: Selectable<GroupTable>): Group {
  return { id: r.id, name: r.name, description: r.description, policy: JSON.parse(r.policy) as Policy };
}

export class FleetStore {
  /** SQLite: check-in writes committed together (see GroupCommit). */
  private groupCommit?: GroupCommit;
  /** SQLite file in a server: the same, on the writer thread. */
  private clientWriter?: ClientWriter;
  /** SQLite: the check-in's one read, straight from a prepared statement (no query building per request). */
  private readClientRow?: import('better-sqlite3').Statement;
  /** PostgreSQL: the same, in set-based statements. */
  private pgGroupCommit?: PgGroupCommit;
  private pgAgentReads?: PgAgentReads;
  /** Client credentials (enrollment, the console's decisions); an agent request reads its own with getAgent. */
  credentials: Credentials;
  readonly audit: AuditLog;
  /** API tokens (hashes only). */
  readonly tokens: Tokens;
  /** Finding and listing clients: pages, searches, capped totals, the report's queries, the preview's batches. */
  readonly clientQueries: ClientQueries;

  private constructor(readonly db: Kysely<Database>, readonly dialect: Dialect) {
    this.credentials = new Credentials(db);
    this.audit = new AuditLog(db, dialect);
    this.tokens = new Tokens(db);
    this.clientQueries = new ClientQueries(db, dialect);
  }

  static async open(opts: OpenOptions): Promise<FleetStore> {
    let db: Kysely<Database>;
    let dialect: Dialect;
    let native: BetterSqlite3Database | undefined;
    if (opts.postgresUrl) {
      const pg = await import('pg');
      const Pool = pg.default?.Pool ?? (pg as unknown as { Pool: typeof pg.Pool }).Pool;
      db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: opts.postgresUrl, max: opts.readonly ? 2 : 10 }) }) });
      dialect = 'postgres';
    } else {
      const { default: BetterSqlite3 } = await import('better-sqlite3');
      const file = opts.sqliteFile ?? ':memory:';
      native = new BetterSqlite3(file, { readonly: !!opts.readonly });
      defineSqliteFunctions(native);
      if (!opts.readonly) native.pragma('journal_mode = WAL');
      // WAL + NORMAL: durable across process crashes, and a check-in does not wait for an fsync.
      native.pragma('synchronous = NORMAL');
      if (!opts.readonly) native.pragma('foreign_keys = ON');
      if (opts.writerThread) native.pragma('wal_autocheckpoint = 0');
      // A log started again from its beginning is cut back to this size, so it does not keep its peak on disk.
      if (!opts.readonly) native.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
      // 16 MiB of pages (the default is 2): the upper levels of every index of a million clients stay in memory.
      // With a writer thread, that thread walks the indexes on every check-in (its cache holds them); this
      // connection serves the console's pages and admin writes.
      if (!opts.readonly) native.pragma(`cache_size = ${opts.writerThread ? -8192 : -16384}`);
      native.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      // Kysely prepares every query anew; the same few statements run per check-in, so keep them prepared.
      // Safe: Kysely's SQLite driver runs one query at a time on this single connection.
      const prepare = native.prepare.bind(native);
      const prepared = new Map<string, ReturnType<typeof prepare>>();
      const cached = native;
      cached.prepare = ((source: string) => {
        let stmt = prepared.get(source);
        if (!stmt) {
          stmt = prepare(source);
          if (prepared.size < 1000) prepared.set(source, stmt);
        }
        return stmt;
      }) as typeof cached.prepare;
      db = new Kysely<Database>({ dialect: new SqliteDialect({ database: native }) });
      dialect = 'sqlite';
    }
    const store = new FleetStore(db, dialect);
    if (opts.readonly) return store;
    const migrator = new Migrator({ db, provider: new InCodeMigrations(dialect) });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error');
      throw new Error(`Database migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (native) {
      store.readClientRow = native.prepare(READ_CLIENT_SQL);
      // The read by id prepared once, on this connection (not the writer's: a read there waits behind its transaction).
      store.credentials = new Credentials(db, native.prepare(READ_CREDENTIAL_SQL));
      if (opts.writerThread && opts.sqliteFile && opts.sqliteFile !== ':memory:') {
        store.clientWriter = new ClientWriter({
          sqliteFile: opts.sqliteFile, historyPerClient: HISTORY_PER_CLIENT, busyTimeoutMs: BUSY_TIMEOUT_MS,
        });
        try {
          await store.clientWriter.started();
        } catch (err) {
          await db.destroy();
          throw err;
        }
      } else store.groupCommit = new GroupCommit(db, native, { historyPerClient: HISTORY_PER_CLIENT, busyTimeoutMs: BUSY_TIMEOUT_MS });
    }
    else {
      store.pgAgentReads = new PgAgentReads(db);
      store.pgGroupCommit = new PgGroupCommit(db, HISTORY_PER_CLIENT, (before, after, changed) => store.writeClientAlone(before, after, changed));
    }
    return store;
  }

  /** SQLite with a writer thread: the gate its checkpointer holds it at (see heavy/checkpointer.ts). */
  get restartGate(): SharedArrayBuffer | undefined {
    return this.clientWriter?.restartGate;
  }

  async close(): Promise<void> {
    await this.clientWriter?.close();
    await this.pgGroupCommit?.close();
    await this.db.destroy();
  }

  // ---- releases -------------------------------------------------------------------------------

  async listReleases(): Promise<Release[]> {
    const rows = await this.db.selectFrom('releases').selectAll().execute();
    return rows.map(rowToRelease);
  }

  async insertRelease(r: Release): Promise<void> {
    await this.db.insertInto('releases').values(releaseToRow(r)).execute();
  }

  async updateRelease(r: Release): Promise<void> {
    const { id, ...rest } = releaseToRow(r);
    await this.db.updateTable('releases').set(rest).where('id', '=', id).execute();
  }

  /**
   * The counts table's live rows, in the key's order: along the primary key, PostgreSQL reads only the pages that
   * hold live rows, however many pages dead versions have left behind (migration 0010).
   */
  clientCountsQuery() {
    return this.db.selectFrom('client_counts').select(['group_id', 'version', 'state', 'target', 'n']).where('n', '>', 0)
      .orderBy('group_id').orderBy('version').orderBy('state').orderBy('target');
  }

  /**
   * Clients per (group, version, state, target version): the counts table kept by triggers (migration 0002), a few
   * hundred rows whatever the fleet's size. Every fleet-wide figure is computed from these.
   */
  async clientCounts(): Promise<ClientCount[]> {
    const rows = await this.clientCountsQuery().execute();
    return rows.map((r) => ({ groupId: r.group_id, version: r.version, state: r.state as ClientState, targetVersion: r.target === '' ? null : r.target, count: Number(r.n) }));
  }

  // ---- rollouts (migration 0006) ----------------------------------------------------------------

  /** Every recorded rollout: one row per release and group that was halted, paused, resumed or promoted. */
  async listRollouts(): Promise<RolloutRecord[]> {
    const rows = await this.db.selectFrom('rollouts').selectAll().execute();
    return rows.map((r) => ({
      releaseId: r.release_id, groupId: r.group_id, state: r.state as RolloutState, reason: r.reason, at: r.at, by: r.by,
      baseAttempted: Number(r.base_attempted), baseFailed: Number(r.base_failed), promotedAt: r.promoted_at,
    }));
  }

  /**
   * Move one rollout to `to`, only from one of the states in `from` (a missing row counts as running). True when
   * this call changed it: with several server processes, only one records a halt and writes its audit entry.
   */
  async setRolloutState(releaseId: string, groupId: string, from: readonly RolloutState[], to: { state: RolloutState; reason: string | null; at: string; by: string; base?: { attempted: number; failed: number } }): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await tx.insertInto('rollouts')
        .values({ release_id: releaseId, group_id: groupId, state: 'running', reason: null, at: to.at, by: to.by, base_attempted: 0, base_failed: 0, promoted_at: null })
        .onConflict((oc) => oc.columns(['release_id', 'group_id']).doNothing())
        .execute();
      const r = await tx.updateTable('rollouts')
        .set({ state: to.state, reason: to.reason, at: to.at, by: to.by, ...(to.base ? { base_attempted: to.base.attempted, base_failed: to.base.failed } : {}) })
        .where('release_id', '=', releaseId).where('group_id', '=', groupId).where('state', 'in', [...from])
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    });
  }

  /** Record that a ring promoted the release to the group; true when this call did (not already promoted). */
  async promoteRollout(releaseId: string, groupId: string, at: string, by: string): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await tx.insertInto('rollouts')
        .values({ release_id: releaseId, group_id: groupId, state: 'running', reason: null, at, by, base_attempted: 0, base_failed: 0, promoted_at: null })
        .onConflict((oc) => oc.columns(['release_id', 'group_id']).doNothing())
        .execute();
      const r = await tx.updateTable('rollouts').set({ promoted_at: at })
        .where('release_id', '=', releaseId).where('group_id', '=', groupId).where('promoted_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    });
  }

  /**
   * Where clients on `version` came from: per client of a bounded sample (LIMIT; no version index, so the
   * server asks the heavy-read worker on SQLite), the version of its newest history entry on another version (the
   * history's (client, entry) key), counted per version.
   */
  async rollbackOrigins(version: string, sample = ROLLBACK_SAMPLE): Promise<RollbackOrigin[]> {
    // History entries are numbered per client on SQLite (migration 0007): an entry is (client, number).
    const rows = await sql<{ version: string; n: number | string }>`
      SELECT h.version AS version, count(*) AS n
      FROM (SELECT c.id AS cid, (SELECT max(h2.id) FROM client_history h2 WHERE h2.client_id = c.id AND h2.version <> ${version}) AS hid
            FROM (SELECT id FROM clients WHERE version = ${version} LIMIT ${sample}) c) p
      JOIN client_history h ON h.client_id = p.cid AND h.id = p.hid
      GROUP BY h.version`.execute(this.db);
    return rows.rows.map((r) => ({ version: r.version, clients: Number(r.n) }));
  }

  /**
   * Clients whose last check-in is before `cutoff`, per counts key: a scan (last_seen changes on every check-in, so
   * an index on it would be written by every check-in). Run by the heavy-read worker only.
   */
  async countNotSeen(cutoff: string): Promise<ClientCount[]> {
    const r = await sql<{ group_id: string; version: string; state: string; target: string; n: number | string }>`
      SELECT group_id, version, state, coalesce(target_version, '') AS target, count(*) AS n FROM clients
      WHERE last_seen < ${cutoff} GROUP BY group_id, version, state, coalesce(target_version, '')`.execute(this.db);
    return r.rows.map((x) => ({ groupId: x.group_id, version: x.version, state: x.state as ClientState, targetVersion: x.target === '' ? null : x.target, count: Number(x.n) }));
  }

  // ---- groups ---------------------------------------------------------------------------------

  async listGroups(): Promise<Group[]> {
    const rows = await this.db.selectFrom('groups').selectAll().orderBy('name_key').execute();
    return rows.map(rowToGroup);
  }

  async insertGroup(g: Group, at: string): Promise<void> {
    await this.db.insertInto('groups').values({
      id: g.id, name: g.name, name_key: g.name.toLowerCase(), description: g.description, policy: JSON.stringify(g.policy), created_at: at,
    }).execute();
  }

  async updatePolicy(groupId: string, policy: Policy): Promise<void> {
    await this.db.updateTable('groups').set({ policy: JSON.stringify(policy) }).where('id', '=', groupId).execute();
  }

  // ---- clients --------------------------------------------------------------------------------

  async getClient(id: string): Promise<Client | undefined> {
    if (this.clientWriter) {
      const row = await this.clientWriter.readClient(id);
      return row ? rowToClient(row) : undefined;
    }
    if (this.readClientRow) {
      const row = this.readClientRow.get(id) as ClientRow | undefined;
      return row ? rowToClient(row) : undefined;
    }
    const r = await this.db.selectFrom('clients').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? rowToClient(r) : undefined;
  }

  async history(clientId: string, limit = HISTORY_PER_CLIENT): Promise<ClientHistoryEntry[]> {
    const rows = await this.db.selectFrom('client_history').selectAll().where('client_id', '=', clientId).orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({ at: r.at, state: r.state as ClientState, version: r.version, targetVersion: r.target_version, reason: r.reason }));
  }

  /**
   * A check-in or report: insert or update the client, and append to its history when something an admin
   * cares about changed (state, version, target, reason). Returns the row as it was before.
   */
  async writeClient(w: CheckinWrite, known?: Client): Promise<{ before?: Client; after: Client }> {
    const before = known ?? (await this.getClient(w.id));
    const after: Client = {
      id: w.id, name: w.name, computer: w.computer, ip: w.ip, user: w.user,
      groupId: before?.groupId ?? w.groupId,
      version: w.version, state: w.state, targetVersion: w.targetVersion, reason: w.reason, deferredUntil: w.deferredUntil, lastSeen: w.at,
      address: w.address !== undefined ? w.address : before?.address ?? null,
    };
    const changed = !before || before.state !== after.state || before.version !== after.version ||
      before.targetVersion !== after.targetVersion || before.reason !== after.reason;
    if (this.clientWriter) await this.clientWriter.writeClient(before, after, changed);
    else if (this.groupCommit) await this.groupCommit.writeClient(before, after, changed);
    else if (this.pgGroupCommit) await this.pgGroupCommit.writeClient(before, after, changed);
    else await this.writeClientAlone(before, after, changed);
    return { before, after };
  }

  /** One client write in its own transaction. */
  private async writeClientAlone(before: Client | undefined, after: Client, changed: boolean): Promise<void> {
    const w = { id: after.id, at: after.lastSeen };
    if (before && !changed && before.name === after.name && before.computer === after.computer && before.ip === after.ip && before.user === after.user && (before.address ?? null) === (after.address ?? null)) {
      // The steady state of a fleet: a check-in that changes nothing but last_seen is one small UPDATE.
      await this.db.updateTable('clients').set({ last_seen: after.lastSeen, deferred_until: after.deferredUntil }).where('id', '=', w.id).execute();
      return;
    }
    await this.db.transaction().execute(async (tx) => {
      if (before) {
        const set: Updateable<ClientTable> = {
          version: after.version, state: after.state, target_version: after.targetVersion, reason: after.reason,
          deferred_until: after.deferredUntil, last_seen: after.lastSeen,
        };
        // Only touch the searched columns when they change, so the trigram index is not rewritten per check-in.
        if (before.name !== after.name) set.name = after.name;
        if (before.computer !== after.computer) set.computer = after.computer;
        if (before.ip !== after.ip) set.ip = after.ip;
        if (before.user !== after.user) set.user_name = after.user;
        if ((before.address ?? null) !== (after.address ?? null)) set.address = after.address ?? null;
        await tx.updateTable('clients').set(set).where('id', '=', w.id).execute();
      } else {
        await tx.insertInto('clients').values({
          id: after.id, name: after.name, computer: after.computer, ip: after.ip, user_name: after.user, group_id: after.groupId,
          version: after.version, state: after.state, target_version: after.targetVersion, reason: after.reason,
          deferred_until: after.deferredUntil, last_seen: after.lastSeen, address: after.address ?? null,
        }).execute();
      }
      if (changed) {
        await tx.insertInto('client_history').values({
          client_id: after.id, at: w.at, state: after.state, version: after.version, target_version: after.targetVersion, reason: after.reason,
          // SQLite numbers entries per client (migration 0007); PostgreSQL's are a sequence.
          ...(this.dialect === 'sqlite' ? { id: sql<number>`(SELECT coalesce(max(id), 0) + 1 FROM client_history WHERE client_id = ${after.id})` } : {}),
        }).execute();
        // Keep the newest HISTORY_PER_CLIENT entries.
        const cutoff = await tx.selectFrom('client_history').select('id').where('client_id', '=', after.id)
          .orderBy('id', 'desc').offset(HISTORY_PER_CLIENT).limit(1).executeTakeFirst();
        if (cutoff) await tx.deleteFrom('client_history').where('client_id', '=', after.id).where('id', '<=', cutoff.id).execute();
      }
    });
  }

  async moveClient(id: string, groupId: string): Promise<void> {
    await this.db.updateTable('clients').set({ group_id: groupId }).where('id', '=', id).execute();
  }

  /** Bulk insert for the demo and benchmarks: one transaction, no history per row beyond the first entry. */
  async insertClients(clients: readonly Client[]): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (let i = 0; i < clients.length; i += 500) {
        const chunk = clients.slice(i, i + 500);
        await tx.insertInto('clients').values(chunk.map((c) => ({
          id: c.id, name: c.name, computer: c.computer, ip: c.ip, user_name: c.user, group_id: c.groupId, version: c.version,
          state: c.state, target_version: c.targetVersion, reason: c.reason, deferred_until: c.deferredUntil, last_seen: c.lastSeen,
        }))).execute();
        await tx.insertInto('client_history').values(chunk.map((c) => ({
          client_id: c.id, at: c.lastSeen, state: c.state, version: c.version, target_version: c.targetVersion, reason: c.reason,
          // A new client's first entry (SQLite numbers them per client; PostgreSQL's are a sequence).
          ...(this.dialect === 'sqlite' ? { id: 1 } : {}),
        }))).execute();
      }
    });
  }

  /** A decommissioned client leaves the fleet (and its counts); its history and audit entries stay. */
  async deleteClient(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('clients').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  // ---- client credentials (migration 0004) -------------------------------------------------------

  /**
   * An agent request's reads: its credential and, when it has one, its client row. With a writer thread both come
   * back in one message and the event loop reads nothing (its connection's cache is dropped at every commit of the
   * writer's, so a read there fetches its pages again).
   */
  async getAgent(clientId: string): Promise<{ credential?: CredentialRecord; client?: Client }> {
    if (this.clientWriter) {
      const { credential, client } = await this.clientWriter.readAgent(clientId);
      return { ...(credential ? { credential: rowToCredential(credential) } : {}), ...(client ? { client: rowToClient(client) } : {}) };
    }
    // The credential, and the client's row beside it when there is one: on PostgreSQL one query for the turn's reads.
    type Row = Selectable<ClientCredentialTable> & { [K in keyof ClientRow as `c_${K}`]: ClientRow[K] | null };
    const row = this.pgAgentReads
      ? await this.pgAgentReads.read(clientId) as Row | undefined
      : (await sql<Row>`SELECT cc.*, ${sql.raw(AGENT_CLIENT_COLUMNS)} FROM client_credentials cc LEFT JOIN clients c ON c.id = cc.client_id
          WHERE cc.client_id = ${clientId}`.execute(this.db)).rows[0];
    if (!row) return {};
    const credential = rowToCredential(row);
    if (row.c_id === null) return { credential };
    return {
      credential,
      client: rowToClient({
        id: row.c_id, name: row.c_name!, computer: row.c_computer!, ip: row.c_ip!, user_name: row.c_user_name!, group_id: row.c_group_id!,
        version: row.c_version!, state: row.c_state!, target_version: row.c_target_version, reason: row.c_reason,
        deferred_until: row.c_deferred_until, last_seen: row.c_last_seen!, address: row.c_address,
      }),
    };
  }

  // ---- fleet settings -------------------------------------------------------------------------

  async fleetSettings(): Promise<FleetSettings> {
    const rows = await this.db.selectFrom('fleet_settings').select(['key', 'value']).execute();
    const byKey = new Map(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]));
    const min = byKey.get('minimumAutoUpgradeVersion');
    return { minimumAutoUpgradeVersion: typeof min === 'string' ? min : null };
  }

  async putFleetSettings(s: FleetSettings): Promise<void> {
    const value = JSON.stringify(s.minimumAutoUpgradeVersion);
    await this.db.insertInto('fleet_settings').values({ key: 'minimumAutoUpgradeVersion', value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
  }
}
