// Finding and listing clients: the console's pages (column filters, and a search text through the trigram index:
// SQLite FTS5, PostgreSQL pg_trgm), capped totals, the walk of the (computer, id) order for a broad term, the
// report's queries and chunk ranges, and the policy preview's batches. Reached as store.clientQueries; the server's
// heavy-read worker runs most of them on a connection of its own.
import { CompiledQuery, sql, type Kysely, type Selectable } from 'kysely';
import type { Client, ClientState } from '../../core/types';
import type { Dialect } from './migrations';
import type { ClientTable, Database } from './schema';
import { narrowingPart, trigramSpelling } from './trigramText';

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

/** What a preview decides a client by: its id (the rollout bucket), version and deferral. */
export interface DecisionInput {
  id: string;
  version: string;
  deferredUntil: string | null;
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

/** PostgreSQL: a sample this small tells no share. */
const MIN_SAMPLE = 200;
/** PostgreSQL: a text at least this share of clients hold is counted within a group by walking it (countGroupByWalk). */
const DENSE_SHARE = 0.25;

export class ClientQueries {
  constructor(private readonly db: Kysely<Database>, private readonly dialect: Dialect) {}

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

  /**
   * PostgreSQL: the share of the sampled search texts that hold a text (lower-cased), or undefined while there is no
   * sample (or too small a one to tell). An estimate: a spelling typed as text may count a row that does not match.
   */
  private sampledShare(lower: string): number | undefined {
    const texts = this.searchSample();
    if (texts.length < MIN_SAMPLE) return undefined;
    const spelled = trigramSpelling(lower);
    let n = 0;
    for (const t of texts) if (t.includes(spelled)) n++;
    return n / texts.length;
  }

  /**
   * A group's clients tested in (computer, id) order, reading at most `budget` of them: how many match, up to
   * cap + 1; undefined when the budget ran out before the group and the cap did (the walk cannot tell the total).
   */
  private async countGroupByWalk(groupId: string, text: string, cap: number, budget: number): Promise<number | undefined> {
    const matched = this.db.selectFrom(this.walkOrder(groupId).limit(budget).as('w')).select(sql<number>`1`.as('one')).where(this.literalMatch(text)).limit(cap + 1);
    const m = await this.db.selectFrom(matched.as('m')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    const n = Number(m?.n ?? 0);
    return n > cap || (await this.walkEnds(budget, groupId)) ? n : undefined;
  }

  /** The clients a walk reads, in (computer, id) order after `after`: only the group (indexed) narrows it. */
  private walkOrder(groupId?: string, after?: { computer: string; id: string }) {
    return ClientQueries.afterKey(this.filteredByColumns({ groupId }).selectAll(), after).orderBy('computer').orderBy('id');
  }

  /** Whether a walk of `budget` rows reaches the end of its order, so that what it found is all there is. */
  private async walkEnds(budget: number, groupId?: string, after?: { computer: string; id: string }): Promise<boolean> {
    const seen = await this.db.selectFrom(this.walkOrder(groupId, after).clearSelect().select('id').limit(budget).as('w'))
      .select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    return Number(seen?.n ?? 0) < budget;
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
    const rows = await ClientQueries.afterKey(this.filtered(req).selectAll(), req.after).orderBy('computer').orderBy('id').limit(req.limit).execute();
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
    let inner = this.walkOrder(req.groupId, req.after);
    if (budget !== undefined) inner = inner.limit(budget);
    let outer = this.db.selectFrom(inner.as('w')).selectAll();
    if (req.state) outer = outer.where('state', '=', req.state);
    if (req.version) outer = outer.where('version', '=', req.version);
    if (text) outer = outer.where(this.literalMatch(text));
    const rows = await outer.orderBy('computer').orderBy('id').limit(req.limit).execute();
    if (budget === undefined || rows.length >= req.limit) return { items: rows.map(rowToClient), exhausted: budget === undefined };
    return { items: rows.map(rowToClient), exhausted: await this.walkEnds(budget, req.groupId, req.after) };
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
      const byIndex = async () => {
        const r = await this.db.selectFrom(this.filtered(f).select('id').limit(cap + 1).as('m')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
        return Number(r?.n ?? 0);
      };
      // PostgreSQL, a text most clients hold within a group: the trigram index would hand over nearly every client
      // to be matched against the group's (a merge of a quarter of a million rows); the group's clients tested in
      // order reach the cap within a few times cap rows. The sample tells the text's share.
      const share = this.dialect === 'postgres' && text && isIndexedText(text) && f.groupId && !f.state && !f.version ? this.sampledShare(text.toLowerCase()) : undefined;
      const walked = share !== undefined && share >= DENSE_SHARE ? await this.countGroupByWalk(f.groupId!, text!, cap, Math.ceil(((cap + 1) / share) * 1.5)) : undefined;
      n = walked ?? await byIndex();
    }
    return n > cap ? { total: cap, capped: true } : { total: n, capped: false };
  }

  /** Every matching client, in keyset batches (no statement stays open between them): memory stays flat. */
  async *iterateClients(f: ClientFilter, batch = 2000): AsyncGenerator<Client[]> {
    let after: { computer: string; id: string } | undefined;
    for (;;) {
      const rows = await ClientQueries.afterKey(this.filtered(f).selectAll(), after).orderBy('computer').orderBy('id').limit(batch).execute();
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
   * (From PostgreSQL 14 on, the heavy-read worker reads a large group by ranges of pages instead: previewPostgres.ts.)
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
      const p = ClientQueries.afterKey(q, after).orderBy('computer').orderBy('id').limit(batch).execute();
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
}
