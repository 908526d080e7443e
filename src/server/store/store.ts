// The fleet's data behind one async interface, SQL through Kysely so the same code runs on SQLite (embedded
// default) and PostgreSQL. Nothing here decides anything: that is src/core's job. Credentials, the audit log and
// API tokens have their own files (credentials.ts, auditLog.ts, tokens.ts), reached as store.credentials and so on.
import { CompiledQuery, Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Selectable, type Updateable } from 'kysely';
import type { FleetSettings } from '../../core/wire';
import type {
  Client, ClientHistoryEntry, ClientState, Group, Policy, Release, ReleaseState, ReleaseTransition,
} from '../../core/types';
import type { StateVersionCount } from '../../core/summary';
import type { RolloutRecord, RolloutState } from '../../core/rollout';
import type { RollbackOrigin } from '../../core/rollback';
import { InCodeMigrations, type Dialect } from './migrations';
import { ClientWriter } from './clientWriter';
import { narrowingPart } from './trigramText';
import { READ_CLIENT_SQL, READ_CREDENTIAL_SQL, type ClientRow } from './clientWrites';
import { GroupCommit, type BetterSqlite3Database } from './groupCommit';
import { AGENT_CLIENT_COLUMNS, PgAgentReads } from './pgAgentReads';
import { PgGroupCommit } from './pgGroupCommit';
import { AuditLog } from './auditLog';
import { Credentials, rowToCredential, type CredentialRecord } from './credentials';
import { Tokens } from './tokens';
import type { ClientCredentialTable, ClientTable, Database, GroupTable, ReleaseTable } from './schema';

/** A client's history is bounded: the newest entries are what an admin needs, and a million clients must fit. */
export const HISTORY_PER_CLIENT = 50;

/** A rollback reads the history of at most this many of the affected clients (each at most HISTORY_PER_CLIENT rows). */
export const ROLLBACK_SAMPLE = 1_000;

/** How long a statement waits for a lock held by another connection. */
const BUSY_TIMEOUT_MS = 5_000;

import { defineSqliteFunctions } from './sqliteFunctions';

export { defineSqliteFunctions };

export interface ClientFilter {
  q?: string;
  groupId?: string;
  state?: ClientState;
  version?: string;
}

/** A place in the client list's (and the report's) order: (computer, id). */
export type ReportKey = [computer: string, id: string];

export interface ClientPageRequest extends ClientFilter {
  /** Keyset: the (computer, id) of the last row of the previous page. */
  after?: { computer: string; id: string };
  limit: number;
}

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

/** What a preview decides a client by: its id (the rollout bucket), version and deferral. */
export interface DecisionInput {
  id: string;
  version: string;
  deferredUntil: string | null;
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

export function rowToClient(r: Pick<Selectable<ClientTable>, 'id' | 'name' | 'computer' | 'ip' | 'user_name' | 'group_id' | 'version' | 'state' | 'target_version' | 'reason' | 'deferred_until' | 'last_seen'> & { address?: string | null }): Client {
  return {
    id: r.id,
    name: r.name,
    computer: r.computer,
    ip: r.ip,
    user: r.user_name,
    groupId: r.group_id,
    version: r.version,
    state: r.state as ClientState,
    targetVersion: r.target_version,
    reason: r.reason,
    deferredUntil: r.deferred_until,
    lastSeen: r.last_seen,
    address: r.address ?? null,
  };
}

/** FTS5 takes the user's text literally inside a quoted phrase; a quote is doubled. No wildcards survive. */
export function ftsPhrase(text: string): string {
  return '"' + text.replace(/"/g, '""') + '"';
}

/** LIKE with the user's text literal: %, _ and the escape character are escaped. */
export function likeLiteral(text: string): string {
  return '%' + text.replace(/[\\%_]/g, (m) => '\\' + m) + '%';
}

/** Whether a search text can use the trigram index: three characters or more. */
export function isIndexedText(q: string | undefined): boolean {
  const text = q?.trim();
  return !text || [...text].length >= 3;
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

  private constructor(readonly db: Kysely<Database>, readonly dialect: Dialect) {
    this.credentials = new Credentials(db);
    this.audit = new AuditLog(db, dialect);
    this.tokens = new Tokens(db);
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

  /** Clients on one version, from the counts table: no scan. */
  async countClientsOnVersion(version: string): Promise<number> {
    const r = await this.db.selectFrom('client_counts').select((eb) => eb.fn.sum<number>('n').as('n')).where('version', '=', version).executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  /**
   * Clients per (group, version, state, target version): the counts table kept by triggers (migration 0002), a few
   * hundred rows whatever the fleet's size. Every fleet-wide figure is computed from these.
   */
  async clientCounts(): Promise<ClientCount[]> {
    const rows = await this.db.selectFrom('client_counts').select(['group_id', 'version', 'state', 'target', 'n']).where('n', '>', 0).execute();
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

  /** The column filters (group, state, version): each has an index that also orders by (computer, id). */
  private filteredByColumns(f: ClientFilter) {
    let q = this.db.selectFrom('clients');
    if (f.groupId) q = q.where('group_id', '=', f.groupId);
    if (f.state) q = q.where('state', '=', f.state);
    if (f.version) q = q.where('version', '=', f.version);
    return q;
  }

  /**
   * Literal, case-insensitive substring over the searched columns, tested row by row (no index). SQLite's lower()
   * folds ASCII only, so a text with other letters is folded by JavaScript's rules (uf_fold), as PostgreSQL's
   * lower() and the trigram index fold them.
   */
  private literalMatch(text: string) {
    const pattern = likeLiteral(text.toLowerCase());
    const fold = this.dialect === 'sqlite' && /[^ -~]/.test(text) ? 'uf_fold' : 'lower';
    return sql<boolean>`(${sql.join((['name', 'computer', 'ip', 'user_name'] as const).map((col) => sql`${sql.raw(fold)}(${sql.ref(col)}) LIKE ${pattern} ESCAPE '\\'`), sql` OR `)})`;
  }

  /**
   * PostgreSQL: a search text's matches in client_search. The trigram index narrows by the text spelled as it is
   * stored there (trigramText.ts: punctuation in letters, so "10.3." narrows too), or by the part of it that the
   * fewest rows of a sample hold (narrowingPart); the literal test then runs on the same row's fields as typed
   * (migration 0009), joined by \x01 so that a text never spans two of them. A text with \x01 in it could, so the
   * caller tests it column by column on the client row as well.
   */
  private searchMatch(text: string) {
    const lower = text.toLowerCase();
    const narrowing = narrowingPart(lower, this.searchSample());
    return sql<boolean>`text LIKE ${likeLiteral(narrowing)} ESCAPE '\\' AND literal LIKE ${likeLiteral(lower)} ESCAPE '\\'`;
  }

  /** PostgreSQL: about 2,000 of the search table's texts at random, taken again in the background every 10 minutes. */
  private sample: { texts: string[]; at: number; loading: boolean } = { texts: [], at: 0, loading: false };
  private searchSample(): readonly string[] {
    const s = this.sample;
    if (!s.loading && Date.now() - s.at > 10 * 60_000) {
      s.loading = true;
      void (async () => {
        try {
          const est = await sql<{ n: number }>`SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'client_search'::regclass`.execute(this.db);
          const percent = Math.min(100, (2_000 * 100) / Math.max(1, Number(est.rows[0]?.n ?? 0)));
          const rows = await sql<{ text: string }>`SELECT text FROM client_search TABLESAMPLE BERNOULLI (${percent}) LIMIT 4000`.execute(this.db);
          s.texts = rows.rows.map((r) => r.text);
        } catch {
          // Without a sample the whole spelled text narrows: slower for some texts, never wrong.
        } finally {
          s.at = Date.now();
          s.loading = false;
        }
      })();
    }
    return s.texts;
  }

  /** The filters plus the search text answered from the trigram index (SQLite FTS5 / PostgreSQL pg_trgm). */
  private filtered(f: ClientFilter) {
    let q = this.filteredByColumns(f);
    const text = f.q?.trim();
    if (text) {
      if (this.dialect === 'sqlite' && isIndexedText(text)) {
        // Substring match from the trigram index (case-insensitive), the text taken literally.
        q = q.where(sql<boolean>`seq IN (SELECT rowid FROM clients_fts WHERE clients_fts MATCH ${ftsPhrase(text)})`);
      } else if (this.dialect === 'postgres' && isIndexedText(text)) {
        q = q.where(sql<boolean>`seq IN (SELECT seq FROM client_search WHERE ${this.searchMatch(text)})`);
        if (text.includes('\x01')) q = q.where(this.literalMatch(text));
      } else {
        q = q.where(this.literalMatch(text));
      }
    }
    return q;
  }

  /**
   * Keyset paging after (computer, id). A row-value comparison, not an OR of two: both SQLite and PostgreSQL turn
   * it into an index range, where the OR form makes SQLite walk from the first row on every page.
   */
  private static afterKey<Q extends { where: (...args: never[]) => unknown }>(q: Q, after?: { computer: string; id: string }): Q {
    if (!after) return q;
    return (q as unknown as { where: (e: unknown) => Q }).where(sql<boolean>`(computer, id) > (${after.computer}, ${after.id})`);
  }

  /** One page in (computer, id) order: the column filters walk their index; a search text uses the trigram index. */
  async pageClients(req: ClientPageRequest): Promise<Client[]> {
    const text = req.q?.trim();
    const textOnly = !!text && isIndexedText(text) && !req.groupId && !req.state && !req.version;
    if (textOnly && this.dialect === 'postgres') return this.pageByText(text, req);
    if (textOnly) return this.pageByFts(text, req);
    return this.pageFiltered(req);
  }

  /**
   * SQLite, a text alone: the trigram index's matches drive a join to their rows, sorted for the page. `seq IN
   * (matches)` first built a temporary index of every match (65,000 for an address prefix) and then looked each up:
   * a third slower.
   */
  private async pageByFts(text: string, req: ClientPageRequest): Promise<Client[]> {
    let q = this.db.selectFrom(sql<{ rowid: number }>`clients_fts`.as('f')).innerJoin('clients', (j) => j.on(sql`clients.seq`, '=', sql`f.rowid`))
      .selectAll('clients').where(sql<boolean>`clients_fts MATCH ${ftsPhrase(text)}`);
    if (req.after) q = q.where(sql<boolean>`(clients.computer, clients.id) > (${req.after.computer}, ${req.after.id})`);
    const rows = await q.orderBy('clients.computer').orderBy('clients.id').limit(req.limit).execute();
    return rows.map(rowToClient);
  }

  private async pageFiltered(req: ClientPageRequest): Promise<Client[]> {
    const rows = await FleetStore.afterKey(this.filtered(req).selectAll(), req.after).orderBy('computer').orderBy('id').limit(req.limit).execute();
    return rows.map(rowToClient);
  }

  /**
   * PostgreSQL, a text alone: the page found and sorted in the search table itself (it holds the order's columns and
   * the literal text), then only the page's client rows read. A term with 65,000 matches read every match's client
   * row to sort them (a third of a second); now the sort reads the search table's matches only.
   */
  private async pageByText(text: string, req: ClientPageRequest): Promise<Client[]> {
    if (text.includes('\x01')) return this.pageFiltered(req);
    const after = req.after ? sql`AND (computer, id) > (${req.after.computer}, ${req.after.id})` : sql``;
    const page = await sql<{ seq: string }>`SELECT seq FROM client_search WHERE ${this.searchMatch(text)} ${after}
      ORDER BY computer, id LIMIT ${req.limit}`.execute(this.db);
    if (page.rows.length === 0) return [];
    const rows = await this.db.selectFrom('clients').selectAll().where(sql<boolean>`seq = ANY(${page.rows.map((r) => r.seq)}::bigint[])`)
      .orderBy('computer').orderBy('id').execute();
    return rows.map(rowToClient);
  }

  /**
   * A search that walks the (computer, id) order and tests each row, reading at most `budget` rows (all when
   * absent). A broad term fills its page within a few hundred rows, far faster than gathering its matches from
   * the index; `exhausted` tells that the walk reached the end, so a short page is the whole answer.
   */
  async walkClients(req: ClientPageRequest, budget?: number): Promise<{ items: Client[]; exhausted: boolean }> {
    const text = req.q?.trim() ?? '';
    // The budget counts rows read: only the group (indexed) narrows the walk; state, version and text are tested.
    const walked = () => FleetStore.afterKey(this.filteredByColumns({ groupId: req.groupId }).selectAll(), req.after).orderBy('computer').orderBy('id');
    let inner = walked();
    if (budget !== undefined) inner = inner.limit(budget);
    let outer = this.db.selectFrom(inner.as('w')).selectAll();
    if (req.state) outer = outer.where('state', '=', req.state);
    if (req.version) outer = outer.where('version', '=', req.version);
    if (text) outer = outer.where(this.literalMatch(text));
    const rows = await outer.orderBy('computer').orderBy('id').limit(req.limit).execute();
    if (budget === undefined || rows.length >= req.limit) return { items: rows.map(rowToClient), exhausted: budget === undefined };
    const seen = await this.db.selectFrom(walked().clearSelect().select('id').limit(budget).as('w'))
      .select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    return { items: rows.map(rowToClient), exhausted: Number(seen?.n ?? 0) < budget };
  }

  /** How many clients match, counting no further than `cap` (a broad term stops early instead of counting a million). */
  async countClientsCapped(f: ClientFilter, cap: number): Promise<{ total: number; capped: boolean }> {
    const text = f.q?.trim();
    let n: number;
    if (this.dialect === 'sqlite' && text && isIndexedText(text) && !f.groupId && !f.state && !f.version) {
      // Only the text: the trigram index alone counts, and stops after cap + 1 matches.
      const r = await sql<{ n: number }>`SELECT count(*) AS n FROM (SELECT rowid FROM clients_fts WHERE clients_fts MATCH ${ftsPhrase(text)} LIMIT ${cap + 1})`.execute(this.db);
      n = Number(r.rows[0]?.n ?? 0);
    } else if (this.dialect === 'sqlite' && text && isIndexedText(text)) {
      // Driven from the trigram index, so it stops after cap + 1 matches.
      let q = this.db.selectFrom(sql<{ rowid: number }>`clients_fts`.as('f')).innerJoin('clients', (j) => j.on(sql`clients.seq`, '=', sql`f.rowid`))
        .select(sql<number>`1`.as('one')).where(sql<boolean>`clients_fts MATCH ${ftsPhrase(text)}`);
      if (f.groupId) q = q.where('clients.group_id', '=', f.groupId);
      if (f.state) q = q.where('clients.state', '=', f.state);
      if (f.version) q = q.where('clients.version', '=', f.version);
      const r = await this.db.selectFrom(q.limit(cap + 1).as('m')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
      n = Number(r?.n ?? 0);
    } else if (this.dialect === 'postgres' && text && isIndexedText(text) && !text.includes('\x01') && !f.groupId && !f.state && !f.version) {
      // Only the text: counted in the search table alone, up to cap + 1 matches.
      const r = await sql<{ n: string }>`SELECT count(*) AS n FROM (SELECT 1 FROM client_search WHERE ${this.searchMatch(text)} LIMIT ${cap + 1}) m`.execute(this.db);
      n = Number(r.rows[0]?.n ?? 0);
    } else {
      const r = await this.db.selectFrom(this.filtered(f).select('id').limit(cap + 1).as('m')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
      n = Number(r?.n ?? 0);
    }
    return n > cap ? { total: cap, capped: true } : { total: n, capped: false };
  }

  /** Every matching client, in keyset batches (no statement stays open between them): memory stays flat. */
  async *iterateClients(f: ClientFilter, batch = 2000): AsyncGenerator<Client[]> {
    let after: { computer: string; id: string } | undefined;
    for (;;) {
      const rows = await FleetStore.afterKey(this.filtered(f).selectAll(), after).orderBy('computer').orderBy('id').limit(batch).execute();
      if (rows.length === 0) return;
      yield rows.map(rowToClient);
      const last = rows[rows.length - 1];
      after = { computer: last.computer, id: last.id };
      if (rows.length < batch) return;
    }
  }

  /**
   * The client report's rows after `from` up to and including `to` (the report's order; open where absent), as
   * `columns`, in that order (a chunk of the report, csvChunks.ts).
   */
  exportRangeQuery(f: ClientFilter, columns: readonly string[], from?: ReportKey, to?: ReportKey): { sql: string; parameters: readonly unknown[] } {
    let q = this.filtered(f);
    if (from) q = q.where(sql<boolean>`(computer, id) > (${from[0]}, ${from[1]})`);
    if (to) q = q.where(sql<boolean>`(computer, id) <= (${to[0]}, ${to[1]})`);
    if (this.dialect === 'postgres') {
      // The computer alone as well: PostgreSQL estimates a range of one column from its statistics, a range of
      // (computer, id) hardly at all (it took a chunk for a fifth of the table and scanned all of it).
      if (from) q = q.where('computer', '>=', from[0]);
      if (to) q = q.where('computer', '<=', to[0]);
    }
    return q.select(columns.map((c, i) => sql.raw<string>(c).as(`c${i}`))).orderBy('computer').orderBy('id').compile();
  }

  /** The rows of a query compiled here (the CSV report's chunks, built from the store's own queries). */
  async runCompiled<R>(q: { sql: string; parameters: readonly unknown[] }): Promise<R[]> {
    return (await this.db.executeQuery<R>(CompiledQuery.raw(q.sql, [...q.parameters]))).rows;
  }

  /**
   * The report's key `rows` rows after `from` (from its start when absent), or undefined when fewer are
   * left: the end of a chunk, from the (computer, id) index alone.
   */
  reportKeyAfter(from: ReportKey | undefined, rows: number): { sql: string; parameters: readonly unknown[] } {
    let q = this.db.selectFrom('clients').select(['computer', 'id']);
    if (from) q = q.where(sql<boolean>`(computer, id) > (${from[0]}, ${from[1]})`);
    return q.orderBy('computer').orderBy('id').limit(1).offset(rows - 1).compile();
  }

  /**
   * The client report's query, compiled (columns in CSV_COLUMNS order, group as its id), for a reader that runs it
   * on a connection of its own and streams the rows.
   */
  exportQuery(f: ClientFilter): { sql: string; parameters: readonly unknown[] } {
    return this.filtered(f)
      .select(['computer', 'name', 'ip', 'address', 'user_name', 'group_id', 'version', 'target_version', 'state', 'reason', 'last_seen'])
      .orderBy('computer').orderBy('id').compile();
  }

  /**
   * What the policy preview needs of a group's clients, a batch at a time (the next one read while `onBatch` works
   * on this one), in no particular order. A small group is read in keyset batches along its index; a large one
   * through a cursor over one scan of the table: reading a quarter of the fleet in the index's order fetched each
   * row from wherever updates had left it (a second at a million clients), the scan reads the table once in order.
   */
  async forEachDecisionInputBatch(groupId: string, largeGroup: boolean, onBatch: (batch: DecisionInput[]) => void, batch = 20_000): Promise<void> {
    const toInputs = (rows: Array<{ id: string; version: string; deferred_until: string | null }>) => rows.map((r) => ({ id: r.id, version: r.version, deferredUntil: r.deferred_until }));
    if (largeGroup && this.dialect === 'postgres') {
      await this.db.transaction().execute(async (tx) => {
        // Planned for all its rows, not for the first tenth (a cursor's default): the scan, not the index.
        await sql`SET LOCAL cursor_tuple_fraction = 1`.execute(tx);
        await sql`DECLARE uf_decision_inputs NO SCROLL CURSOR FOR SELECT id, version, deferred_until FROM clients WHERE group_id = ${groupId}`.execute(tx);
        const fetch = () => {
          const p = sql<{ id: string; version: string; deferred_until: string | null }>`FETCH ${sql.raw(String(batch))} FROM uf_decision_inputs`.execute(tx);
          p.catch(() => {}); // a batch that failed (or onBatch throwing) leaves the next one unread
          return p;
        };
        let next = fetch();
        for (;;) {
          const { rows } = await next;
          if (rows.length === batch) next = fetch();
          if (rows.length) onBatch(toInputs(rows));
          if (rows.length < batch) return;
        }
      });
      return;
    }
    const fetch = (after?: { computer: string; id: string }) => {
      const q = this.db.selectFrom('clients').select(['id', 'computer', 'version', 'deferred_until']).where('group_id', '=', groupId);
      const p = FleetStore.afterKey(q, after).orderBy('computer').orderBy('id').limit(batch).execute();
      p.catch(() => {}); // a batch that failed (or onBatch throwing) leaves the next one unread
      return p;
    };
    let next = fetch();
    for (;;) {
      const rows = await next;
      if (rows.length === 0) return;
      const last = rows[rows.length - 1];
      if (rows.length === batch) next = fetch({ computer: last.computer, id: last.id });
      onBatch(toInputs(rows));
      if (rows.length < batch) return;
    }
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
