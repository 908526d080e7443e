// The fleet's data behind one async interface, SQL through Kysely so the same code runs on SQLite (embedded
// default) and PostgreSQL. Nothing here decides anything: that is src/core's job. This file opens the database and
// keeps the clients' rows (the agents' reads and writes, batched by the group commits); each other concern has a file
// of its own, reached as a part of the store: store.releases (releaseRecords.ts), store.rollouts
// (rolloutRecords.ts), store.groups (groupRecords.ts), store.settings (fleetSettingsRecords.ts), store.counts
// (clientCounts.ts), store.clientHistory (clientHistory.ts), store.clientQueries (finding and listing clients),
// store.credentials, store.audit and store.tokens.
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Selectable, type Updateable } from 'kysely';
import type { Client, ClientState } from '../../core/types';
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
import { ReleaseRecords } from './releaseRecords';
import { RolloutRecords } from './rolloutRecords';
import { GroupRecords } from './groupRecords';
import { FleetSettingsRecords } from './fleetSettingsRecords';
import { ClientCounts } from './clientCounts';
import { ClientHistory, HISTORY_PER_CLIENT } from './clientHistory';
import type { ClientCredentialTable, ClientTable, Database } from './schema';

export { HISTORY_PER_CLIENT };

/** How long a statement waits for a lock held by another connection. */
const BUSY_TIMEOUT_MS = 5_000;

import { defineSqliteFunctions } from './sqliteFunctions';

export { defineSqliteFunctions };

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
  readonly releases: ReleaseRecords;
  /** Each release's rollout per group: halts, pauses, promotions. */
  readonly rollouts: RolloutRecords;
  readonly groups: GroupRecords;
  readonly settings: FleetSettingsRecords;
  /** Clients per (group, version, state, target version): what every fleet-wide figure is computed from. */
  readonly counts: ClientCounts;
  readonly clientHistory: ClientHistory;

  private constructor(readonly db: Kysely<Database>, readonly dialect: Dialect) {
    this.credentials = new Credentials(db);
    this.audit = new AuditLog(db, dialect);
    this.tokens = new Tokens(db);
    this.clientQueries = new ClientQueries(db, dialect);
    this.releases = new ReleaseRecords(db);
    this.rollouts = new RolloutRecords(db);
    this.groups = new GroupRecords(db);
    this.settings = new FleetSettingsRecords(db);
    this.counts = new ClientCounts(db);
    this.clientHistory = new ClientHistory(db);
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
}
