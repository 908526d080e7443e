// The client report in chunks whose lines the database writes (csvChunks.ts), passed on in order. SQLite: this
// thread walks the report's order a chunk ahead, writes every other chunk itself and hands the others to a thread of
// their own (csvPart.ts), so both cores work. PostgreSQL: the database's own process writes them.
import type { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import type { ReportKey } from '../store/clientQueries';
import type { FleetStore } from '../store/store';
import { startThread } from '../threads';
import { CsvChunkWriter, csvLineSql, plainChunkText, type CsvChunkJob } from './csvChunks';
import { CSV_SOURCE_COLUMNS, csvRows, withGroupNames } from './csvReport';
import type { CsvPartConfig, CsvPartReply, CsvPartRequest } from './csvPart';
import type { CsvArgs } from './protocol';

/** Rows per chunk: about a megabyte of text, a few tens of milliseconds of one core. */
export const CSV_CHUNK_ROWS = 5_000;
/** Chunks handed to the other thread and not yet passed on: the text in hand stays a few megabytes. */
const AHEAD = 2;

/**
 * The report after its header, chunk by chunk in order: this thread's chunks as text, the other thread's as UTF-8
 * (its buffer handed on without a copy). Each connection reads in a transaction of its own: the chunks' ends come
 * from this one's (computer, id) index, so every row is in exactly one chunk, written as it was when its thread
 * began (the two begin a few milliseconds apart). Closing the generator early stops the other thread.
 */
export async function* csvChunksInOrder(sqliteFile: string, store: FleetStore, a: CsvArgs, rowsPerChunk = CSV_CHUNK_ROWS): AsyncGenerator<Uint8Array | string> {
  const db = new BetterSqlite3(sqliteFile, { readonly: true });
  // Its transaction holds the chunks' ends too: one snapshot for both on this connection.
  const here = new CsvChunkWriter(db, a.groupNames);
  const line = csvLineSql(a.groupNames);
  const keyStatements = new Map<string, BetterSqlite3.Statement>();
  const keyAfter = (from: ReportKey | undefined): ReportKey | undefined => {
    const q = store.clientQueries.reportKeyAfter(from, rowsPerChunk);
    let s = keyStatements.get(q.sql);
    if (!s) keyStatements.set(q.sql, (s = db.prepare(q.sql).raw()));
    return s.get(...q.parameters) as ReportKey | undefined;
  };
  let from: ReportKey | undefined;
  let ended = false;
  const nextJob = (): CsvChunkJob | undefined => {
    if (ended) return undefined;
    const to = keyAfter(from);
    const lines = store.clientQueries.exportRangeQuery(a.filter, [line], from, to);
    const job = {
      lines: { sql: `SELECT group_concat(c0, char(10)) || char(10), count(*) FROM (${lines.sql})`, parameters: lines.parameters },
      cells: store.clientQueries.exportRangeQuery(a.filter, CSV_SOURCE_COLUMNS, from, to),
    };
    from = to;
    if (!to) ended = true;
    return job;
  };

  const asked = new Map<number, { resolve: (bytes: Uint8Array) => void; reject: (err: Error) => void }>();
  const failAll = (err: Error) => { for (const p of asked.values()) p.reject(err); asked.clear(); };
  let part: Worker;
  try {
    part = startThread({ built: 'csvPart', module: 'heavy/csvPart' }, { sqliteFile, groupNames: a.groupNames } satisfies CsvPartConfig);
  } catch (err) {
    here.close();
    db.close();
    throw err;
  }
  part.on('message', (m: CsvPartReply) => {
    const p = asked.get(m.n);
    asked.delete(m.n);
    if ('bytes' in m) p?.resolve(m.bytes);
    else p?.reject(new Error(`The CSV report could not be written: ${m.error}`));
  });
  part.on('error', failAll);
  part.on('exit', (code) => failAll(new Error(`The CSV thread stopped (exit code ${code}).`)));

  // The chunks to come, in the report's order: the even ones the other thread's (asked for as soon as they are
  // known), the odd ones this thread's, written when their turn comes while the other writes its next.
  const inOrder: Array<{ job: CsvChunkJob } | { bytes: Promise<Uint8Array> }> = [];
  let n = 0;
  const handOut = () => {
    while (inOrder.length < 2 * AHEAD) {
      const job = nextJob();
      if (!job) return;
      const k = n++;
      if (k % 2 === 1) {
        inOrder.push({ job });
        continue;
      }
      const bytes = new Promise<Uint8Array>((resolve, reject) => {
        asked.set(k, { resolve, reject });
        part.postMessage({ n: k, job } satisfies CsvPartRequest);
      });
      bytes.catch(() => {}); // awaited in its turn; an export stopped early never awaits it
      inOrder.push({ bytes });
    }
  };
  try {
    handOut();
    while (inOrder.length) {
      const next = inOrder.shift()!;
      handOut(); // the other thread has its next chunk before this one is written here
      yield 'job' in next ? here.text(next.job) : await next.bytes;
    }
  } finally {
    part.removeAllListeners('exit');
    void part.terminate();
    here.close();
    db.close();
  }
}

/**
 * PostgreSQL: chunks asked for ahead of the one being passed on. One (its SQL running while the last is checked and
 * sent) is as fast as two here (4.6 s for a million rows either way) and leaves the database a core for check-ins
 * (their p99 beside the export: 95-101 ms with two, 50 ms with one).
 */
const PG_CHUNKS_AT_ONCE = 1;

/**
 * PostgreSQL: the report after its header, chunk by chunk in order, the same chunks as SQLite's (csvChunks.ts) with
 * the lines written and joined by the database's own process (string_agg in the report's order) while this thread
 * checks and sends the last chunk; a chunk that is not plain is read again as cells and written by csvRows.
 */
export async function* csvChunksPostgres(store: FleetStore, a: CsvArgs, rowsPerChunk = CSV_CHUNK_ROWS): AsyncGenerator<string> {
  const line = csvLineSql(a.groupNames, 'postgres');
  const chunk = async (from: ReportKey | undefined, to: ReportKey | undefined): Promise<string> => {
    const q = store.clientQueries.exportRangeQuery(a.filter, [line, 'computer', 'id'], from, to);
    const [r] = await store.clientQueries.runCompiled<{ lines: string | null; n: string | number }>({
      sql: `SELECT string_agg(c0, chr(10) ORDER BY c1, c2) || chr(10) AS lines, count(*) AS n FROM (${q.sql}) AS chunk`,
      parameters: q.parameters,
    });
    const plain = plainChunkText(r?.lines ?? null, Number(r?.n ?? 0));
    if (plain !== undefined) return plain;
    const cells = await store.clientQueries.runCompiled<Record<string, unknown>>(store.clientQueries.exportRangeQuery(a.filter, CSV_SOURCE_COLUMNS, from, to));
    return csvRows(withGroupNames(cells.map((c) => CSV_SOURCE_COLUMNS.map((_, i) => c[`c${i}`])), a.groupNames));
  };
  let from: ReportKey | undefined;
  let ended = false;
  const inOrder: Array<Promise<string>> = [];
  const handOut = async () => {
    while (!ended && inOrder.length < PG_CHUNKS_AT_ONCE) {
      const [key] = await store.clientQueries.runCompiled<{ computer: string; id: string }>(store.clientQueries.reportKeyAfter(from, rowsPerChunk));
      const to: ReportKey | undefined = key ? [key.computer, key.id] : undefined;
      const text = chunk(from, to);
      text.catch(() => {}); // awaited in its turn; an export stopped early never awaits it
      inOrder.push(text);
      from = to;
      if (!to) ended = true;
    }
  };
  await handOut();
  while (inOrder.length) {
    const next = inOrder.shift()!;
    await handOut();
    yield await next;
  }
}
