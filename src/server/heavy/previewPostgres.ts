// The policy preview of a large group on PostgreSQL: the table is read in ranges of its pages (TID range scans),
// the ranges shared between two connections that read one snapshot (pg_export_snapshot, as pg_dump's parallel
// jobs do), so the database scans on two cores. Each range comes back as one text of its clients' lines (id, version,
// deferral), not as rows: node-postgres parsed a quarter of a million rows in ~0.8 s, the lines are split in a tenth
// of that. A range whose text is not plain (a separator inside a value that another tool wrote) is read again as
// rows; either way each client is tallied here, by the check-in's own decide() (PreviewTally).
import { CompiledQuery, type Kysely } from 'kysely';
import type { PreviewTally } from '../../core';
import type { Database } from '../store/schema';

/** About this many ranges per table (a few dozen keep both connections busy to the end), of at least MIN_PAGES. */
const RANGES = 24;
const MIN_PAGES = 256;
/** TID range scans came with PostgreSQL 14; before it a range would be a scan of the whole table. */
export const TID_RANGE_SCANS_SINCE = 140_000;

/** A range of pages: [from, to), or from `from` to the end. */
interface PageRange { from: number; to?: number }

export function pageRanges(pages: number, minPages = MIN_PAGES): PageRange[] {
  const step = Math.max(minPages, Math.ceil(pages / RANGES));
  const ranges: PageRange[] = [];
  for (let from = 0; from + step < pages; from += step) ranges.push({ from, to: from + step });
  // The last range is open: the table may have grown since it was measured (rows this snapshot cannot see).
  ranges.push({ from: ranges.length * step });
  return ranges;
}

/** Runs a statement on one of the two connections. */
type Query = <R>(text: string, values: unknown[]) => Promise<R[]>;

const where = (r: PageRange): string => `group_id = $1 AND ctid >= $2::tid${r.to === undefined ? '' : ' AND ctid < $3::tid'}`;
const values = (groupId: string, r: PageRange): unknown[] => (r.to === undefined ? [groupId, `(${r.from},0)`] : [groupId, `(${r.from},0)`, `(${r.to},0)`]);

/**
 * The lines of a range's text, each `id TAB version TAB deferral`, tallied; false (nothing tallied) unless the text
 * is `n` lines of exactly two tabs each — then no value holds a tab or a line break, and the split is exact.
 */
export function tallyPlainLines(text: string | null, n: number, tally: PreviewTally): boolean {
  if (n === 0) return true;
  if (text === null) return false;
  const lines = text.split('\n');
  if (lines.length !== n) return false;
  const parsed: Array<{ id: string; version: string; deferredUntil: string | null }> = [];
  for (const line of lines) {
    const a = line.indexOf('\t');
    const b = a < 0 ? -1 : line.indexOf('\t', a + 1);
    if (b < 0 || line.indexOf('\t', b + 1) >= 0) return false;
    parsed.push({ id: line.slice(0, a), version: line.slice(a + 1, b), deferredUntil: b + 1 < line.length ? line.slice(b + 1) : null });
  }
  for (const c of parsed) tally.add(c);
  return true;
}

async function tallyRange(query: Query, groupId: string, r: PageRange, tally: PreviewTally): Promise<void> {
  const [{ n, lines }] = await query<{ n: number; lines: string | null }>(
    `SELECT count(*)::int AS n, string_agg(id || E'\\t' || version || E'\\t' || coalesce(deferred_until, ''), E'\\n') AS lines FROM clients WHERE ${where(r)}`,
    values(groupId, r));
  if (tallyPlainLines(lines, n, tally)) return;
  const rows = await query<{ id: string; version: string; deferred_until: string | null }>(`SELECT id, version, deferred_until FROM clients WHERE ${where(r)}`, values(groupId, r));
  for (const c of rows) tally.add({ id: c.id, version: c.version, deferredUntil: c.deferred_until });
}

/**
 * Tallies every client of the group. `db` lends the first connection (its pool's); the second is opened here for
 * this preview and closed after it (a second one from a pool of two could wait forever behind another preview).
 * `minPages`: the smallest range (tests make it small, so that a small table is read in many ranges too).
 */
export async function tallyLargeGroupOnPostgres(db: Kysely<Database>, postgresUrl: string, groupId: string, tally: PreviewTally, minPages = MIN_PAGES): Promise<void> {
  const pg = await import('pg');
  const PgClient = pg.default?.Client ?? (pg as unknown as { Client: typeof pg.Client }).Client;
  await db.connection().execute(async (conn) => {
    const first: Query = async <R>(text: string, vals: unknown[]) => (await conn.executeQuery<R>(CompiledQuery.raw(text, vals))).rows;
    const second = new PgClient({ connectionString: postgresUrl });
    let began = false;
    try {
      await first('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY', []);
      began = true;
      // The size is read in the snapshot's first statement: every row it can see is on a page counted here.
      const [{ snapshot, pages }] = await first<{ snapshot: string; pages: number }>(
        "SELECT pg_export_snapshot() AS snapshot, (pg_relation_size('clients') / current_setting('block_size')::int)::int AS pages", []);
      // A second connection the database refuses (max_connections reached) leaves the whole table to the first.
      const other = await joinSnapshot(second, snapshot).then(() => true, () => false);
      const ranges = pageRanges(pages, minPages);
      const readers: Query[] = other ? [first, async <R>(text: string, vals: unknown[]) => (await second.query(text, vals)).rows as R[]] : [first];
      // Ranges in turn, so that both connections end about together.
      const share = (q: Query, k0: number) => (async () => {
        for (let k = k0; k < ranges.length; k += readers.length) await tallyRange(q, groupId, ranges[k], tally);
      })();
      const results = await Promise.allSettled(readers.map((q, k) => share(q, k)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      if (began) await first('ROLLBACK', []).catch(() => {});
      await second.end().catch(() => {});
    }
  });
}

/** The second connection, reading the first one's snapshot. */
async function joinSnapshot(second: import('pg').Client, snapshot: string): Promise<void> {
  await second.connect();
  await second.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
  await second.query(`SET TRANSACTION SNAPSHOT ${literal(snapshot)}`);
}

/** A snapshot id as an SQL literal (SET TRANSACTION SNAPSHOT takes no parameter). */
function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

const tidRangeScans = new WeakMap<Kysely<Database>, Promise<boolean>>();

/** Whether this database scans a range of pages alone (PostgreSQL 14 on), asked once per store. */
export function hasTidRangeScans(db: Kysely<Database>): Promise<boolean> {
  let known = tidRangeScans.get(db);
  if (!known) {
    known = db.executeQuery<{ server_version_num: string }>(CompiledQuery.raw('SHOW server_version_num', []))
      .then((r) => Number(r.rows[0]?.server_version_num) >= TID_RANGE_SCANS_SINCE);
    // A failed question is asked again next time.
    known.catch(() => tidRangeScans.delete(db));
    tidRangeScans.set(db, known);
  }
  return known;
}
