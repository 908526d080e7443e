// The fleet's data behind one async interface, SQL through Kysely so the same code runs on SQLite (embedded
// default) and PostgreSQL. Nothing here decides anything: that is src/core's job.
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Selectable, type Updateable } from 'kysely';
import type {
  AuditEntry, Client, ClientHistoryEntry, ClientState, Group, Policy, Release, ReleaseState, ReleaseTransition,
} from '../../core/types';
import type { StateVersionCount } from '../../core/summary';
import { InCodeMigrations, type Dialect } from './migrations';
import type { ClientTable, Database, GroupTable, ReleaseTable } from './schema';

/** A client's history is bounded: the newest entries are what an admin needs, and a million clients must fit. */
export const HISTORY_PER_CLIENT = 50;

export interface ClientFilter {
  q?: string;
  groupId?: string;
  state?: ClientState;
  version?: string;
}

export interface ClientPageRequest extends ClientFilter {
  /** Keyset: the (computer, id) of the last row of the previous page. */
  after?: { computer: string; id: string };
  limit: number;
}

export interface TokenRecord {
  id: string;
  name: string;
  role: string;
  createdAt: string;
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
}

export interface OpenOptions {
  /** Path of the SQLite file (WAL mode), or ':memory:'. */
  sqliteFile?: string;
  /** postgres://… for the PostgreSQL backend. */
  postgresUrl?: string;
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
  };
}

function rowToGroup(r: Selectable<GroupTable>): Group {
  return { id: r.id, name: r.name, description: r.description, policy: JSON.parse(r.policy) as Policy };
}

export function rowToClient(r: Pick<Selectable<ClientTable>, 'id' | 'name' | 'computer' | 'ip' | 'user_name' | 'group_id' | 'version' | 'state' | 'target_version' | 'reason' | 'deferred_until' | 'last_seen'>): Client {
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

export class FleetStore {
  private constructor(readonly db: Kysely<Database>, readonly dialect: Dialect) {}

  static async open(opts: OpenOptions): Promise<FleetStore> {
    let db: Kysely<Database>;
    let dialect: Dialect;
    if (opts.postgresUrl) {
      const pg = await import('pg');
      const Pool = pg.default?.Pool ?? (pg as unknown as { Pool: typeof pg.Pool }).Pool;
      db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: opts.postgresUrl, max: 10 }) }) });
      dialect = 'postgres';
    } else {
      const { default: BetterSqlite3 } = await import('better-sqlite3');
      const file = opts.sqliteFile ?? ':memory:';
      const native = new BetterSqlite3(file);
      native.pragma('journal_mode = WAL');
      // WAL + NORMAL: durable across process crashes, and a check-in does not wait for an fsync.
      native.pragma('synchronous = NORMAL');
      native.pragma('foreign_keys = ON');
      native.pragma('busy_timeout = 5000');
      // Kysely prepares every query anew; the same few statements run per check-in, so keep them prepared.
      // Safe: Kysely's SQLite driver runs one query at a time on this single connection.
      const prepare = native.prepare.bind(native);
      const prepared = new Map<string, ReturnType<typeof prepare>>();
      native.prepare = ((source: string) => {
        let stmt = prepared.get(source);
        if (!stmt) {
          stmt = prepare(source);
          if (prepared.size < 1000) prepared.set(source, stmt);
        }
        return stmt;
      }) as typeof native.prepare;
      db = new Kysely<Database>({ dialect: new SqliteDialect({ database: native }) });
      dialect = 'sqlite';
    }
    const store = new FleetStore(db, dialect);
    const migrator = new Migrator({ db, provider: new InCodeMigrations(dialect) });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error');
      throw new Error(`Database migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    return store;
  }

  async close(): Promise<void> {
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

  async countClientsOnVersion(version: string): Promise<number> {
    const r = await this.db.selectFrom('clients').select((eb) => eb.fn.countAll<number>().as('n')).where('version', '=', version).executeTakeFirst();
    return Number(r?.n ?? 0);
  }

  /** Per target version: clients that finished an attempt, and how many of them failed (the rollout halt). */
  async outcomesByTargetVersion(): Promise<Map<string, { attempted: number; failed: number }>> {
    const rows = await this.db.selectFrom('clients')
      .select(['target_version', 'state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('target_version', 'is not', null)
      .where('state', 'in', ['failed', 'up-to-date', 'staged', 'installed-pending-restart'])
      .groupBy(['target_version', 'state'])
      .execute();
    const out = new Map<string, { attempted: number; failed: number }>();
    for (const r of rows) {
      const v = r.target_version as string;
      const o = out.get(v) ?? { attempted: 0, failed: 0 };
      o.attempted += Number(r.n);
      if (r.state === 'failed') o.failed += Number(r.n);
      out.set(v, o);
    }
    return out;
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
    };
    const changed = !before || before.state !== after.state || before.version !== after.version ||
      before.targetVersion !== after.targetVersion || before.reason !== after.reason;
    if (before && !changed && before.name === after.name && before.computer === after.computer && before.ip === after.ip && before.user === after.user) {
      // The steady state of a fleet: a check-in that changes nothing but last_seen is one small UPDATE.
      await this.db.updateTable('clients').set({ last_seen: after.lastSeen, deferred_until: after.deferredUntil }).where('id', '=', w.id).execute();
      return { before, after };
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
        await tx.updateTable('clients').set(set).where('id', '=', w.id).execute();
      } else {
        await tx.insertInto('clients').values({
          id: after.id, name: after.name, computer: after.computer, ip: after.ip, user_name: after.user, group_id: after.groupId,
          version: after.version, state: after.state, target_version: after.targetVersion, reason: after.reason,
          deferred_until: after.deferredUntil, last_seen: after.lastSeen,
        }).execute();
      }
      if (changed) {
        await tx.insertInto('client_history').values({
          client_id: after.id, at: w.at, state: after.state, version: after.version, target_version: after.targetVersion, reason: after.reason,
        }).execute();
        // Keep the newest HISTORY_PER_CLIENT entries.
        const cutoff = await tx.selectFrom('client_history').select('id').where('client_id', '=', after.id)
          .orderBy('id', 'desc').offset(HISTORY_PER_CLIENT).limit(1).executeTakeFirst();
        if (cutoff) await tx.deleteFrom('client_history').where('client_id', '=', after.id).where('id', '<=', cutoff.id).execute();
      }
    });
    return { before, after };
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
        }))).execute();
      }
    });
  }

  private filtered(f: ClientFilter) {
    let q = this.db.selectFrom('clients');
    if (f.groupId) q = q.where('group_id', '=', f.groupId);
    if (f.state) q = q.where('state', '=', f.state);
    if (f.version) q = q.where('version', '=', f.version);
    const text = f.q?.trim();
    if (text) {
      if (this.dialect === 'sqlite' && this.indexedText(text)) {
        // Substring match from the trigram index (case-insensitive), the text taken literally.
        q = q.where(sql<boolean>`seq IN (SELECT rowid FROM clients_fts WHERE clients_fts MATCH ${ftsPhrase(text)})`);
      } else {
        // One or two characters are below a trigram: a literal, case-insensitive substring test.
        const pattern = likeLiteral(text.toLowerCase());
        q = q.where((eb) => eb.or(
          (['name', 'computer', 'ip', 'user_name'] as const).map((col) => eb(sql`lower(${sql.ref(col)})`, 'like', sql`${pattern} ESCAPE '\\'`)),
        ));
      }
    }
    return q;
  }

  /** Whether a search text can use the index (or there is no text): only then is a total cheap. */
  private indexedText(q: string | undefined): boolean {
    const text = q?.trim();
    return !text || [...text].length >= 3;
  }

  async pageClients(req: ClientPageRequest): Promise<{ items: Client[]; total?: number }> {
    let q = this.filtered(req).selectAll();
    if (req.after) {
      const { computer, id } = req.after;
      q = q.where((eb) => eb.or([eb('computer', '>', computer), eb.and([eb('computer', '=', computer), eb('id', '>', id)])]));
    }
    const rows = await q.orderBy('computer').orderBy('id').limit(req.limit).execute();
    // Below a trigram the search is a scan: a page stops early, a count would read every row. No total then.
    if (!this.indexedText(req.q)) return { items: rows.map(rowToClient) };
    const count = await this.filtered(req).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    return { items: rows.map(rowToClient), total: Number(count?.n ?? 0) };
  }

  /** Every matching client, in pages, for the CSV report and the policy preview: memory stays flat. */
  async *iterateClients(f: ClientFilter, batch = 2000): AsyncGenerator<Client[]> {
    let after: { computer: string; id: string } | undefined;
    for (;;) {
      let q = this.filtered(f).selectAll();
      if (after) {
        const a = after;
        q = q.where((eb) => eb.or([eb('computer', '>', a.computer), eb.and([eb('computer', '=', a.computer), eb('id', '>', a.id)])]));
      }
      const rows = await q.orderBy('computer').orderBy('id').limit(batch).execute();
      if (rows.length === 0) return;
      yield rows.map(rowToClient);
      const last = rows[rows.length - 1];
      after = { computer: last.computer, id: last.id };
      if (rows.length < batch) return;
    }
  }

  async stateVersionCounts(): Promise<Array<StateVersionCount & { groupId: string }>> {
    const rows = await this.db.selectFrom('clients')
      .select(['group_id', 'state', 'version', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy(['group_id', 'state', 'version'])
      .execute();
    return rows.map((r) => ({ groupId: r.group_id, state: r.state as ClientState, version: r.version, count: Number(r.n) }));
  }

  // ---- audit ----------------------------------------------------------------------------------

  async addAudit(e: Omit<AuditEntry, 'id'>): Promise<void> {
    await this.db.insertInto('audit').values(e).execute();
  }

  async listAudit(limit: number, beforeId?: number): Promise<AuditEntry[]> {
    let q = this.db.selectFrom('audit').selectAll();
    if (beforeId !== undefined) q = q.where('id', '<', beforeId);
    const rows = await q.orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  /** The audit log with filters (console's Audit view): exact actor and target, an action or an action prefix
   * ending in ".", a time range. Newest first, keyset paged by id. */
  async searchAudit(f: { limit: number; before?: number; actor?: string; action?: string; target?: string; since?: string; until?: string }): Promise<AuditEntry[]> {
    let q = this.db.selectFrom('audit').selectAll();
    if (f.before !== undefined) q = q.where('id', '<', f.before);
    if (f.actor) q = q.where('actor', '=', f.actor);
    if (f.action) {
      if (f.action.endsWith('.')) {
        const pattern = f.action.replace(/[\\%_]/g, (m) => '\\' + m) + '%';
        q = q.where((eb) => eb(sql.ref('action'), 'like', sql`${pattern} ESCAPE '\\'`));
      } else q = q.where('action', '=', f.action);
    }
    if (f.target) q = q.where('target', '=', f.target);
    if (f.since) q = q.where('at', '>=', f.since);
    if (f.until) q = q.where('at', '<=', f.until);
    const rows = await q.orderBy('id', 'desc').limit(f.limit).execute();
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  // ---- tokens ---------------------------------------------------------------------------------

  async insertToken(t: TokenRecord & { hash: string }): Promise<void> {
    await this.db.insertInto('tokens').values({ id: t.id, name: t.name, role: t.role, hash: t.hash, created_at: t.createdAt }).execute();
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    const r = await this.db.selectFrom('tokens').select(['id', 'name', 'role', 'created_at']).where('hash', '=', hash).executeTakeFirst();
    return r ? { id: r.id, name: r.name, role: r.role, createdAt: r.created_at } : undefined;
  }

  async listTokens(): Promise<TokenRecord[]> {
    const rows = await this.db.selectFrom('tokens').select(['id', 'name', 'role', 'created_at']).orderBy('created_at').execute();
    return rows.map((r) => ({ id: r.id, name: r.name, role: r.role, createdAt: r.created_at }));
  }

  async deleteToken(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('tokens').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async deleteTokensByName(name: string, role: string): Promise<void> {
    await this.db.deleteFrom('tokens').where('name', '=', name).where('role', '=', role).execute();
  }
}
