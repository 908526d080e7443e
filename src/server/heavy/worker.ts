// The heavy-read worker: its own read-only connection (SQLite in WAL mode lets it read beside the server's
// writes), so exports, previews, search totals and short-text scans never stop the server's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { decide, PreviewTally, type PolicyPreviewResponse } from '../../core';
import { defineSqliteFunctions, FleetStore } from '../store/store';
import { csvHeader, csvRows, withGroupNames } from './csvReport';
import { csvChunksInOrder, csvChunksPostgres } from './csvExport';
import { ownUtf8 } from './csvChunks';
import { Checkpointer } from './checkpointer';
import { classRows, classRowsOnThread, seqBounds, tallyFor } from './previewClasses';
import { hasTidRangeScans, tallyLargeGroupOnPostgres } from './previewPostgres';
import type { CsvArgs, HeavyReply, HeavyRequest, PreviewArgs, WorkerConfig } from './protocol';

const config = workerData as WorkerConfig;
/** Rows per CSV chunk handed to the server: large enough to amortise a message, small enough for flat memory. */
const CSV_BATCH = 2_000;
/** Statements reading a whole table right now (they hold a snapshot). */
let longReads = 0;
const port = parentPort!;
const storeReady = FleetStore.open({ sqliteFile: config.sqliteFile, postgresUrl: config.postgresUrl, readonly: true });

if (config.sqliteFile && config.checkpointEveryMs) {
  void import('better-sqlite3').then(({ default: BetterSqlite3 }) => {
    new Checkpointer(BetterSqlite3, config.sqliteFile!, config.checkpointEveryMs!, () => longReads > 0, { gate: config.restartGate }).start();
  });
}

function send(m: HeavyReply): void {
  port.postMessage(m);
}

/** Streams waiting for the server to take their last chunk, by request id. */
const waiting = new Map<number, (go: boolean) => void>();

/**
 * Rows of a compiled query, in batches. SQLite: one statement iterated on a connection of its own (an open
 * iterator would block this thread's shared connection), so a million rows are read in one pass; PostgreSQL: the
 * store's keyset batches.
 */
async function* tuples(query: { sql: string; parameters: readonly unknown[] }, fallback: () => AsyncGenerator<unknown[][]>, batch: number): AsyncGenerator<unknown[][]> {
  if (!config.sqliteFile) {
    yield* fallback();
    return;
  }
  const { default: BetterSqlite3 } = await import('better-sqlite3');
  const db = new BetterSqlite3(config.sqliteFile, { readonly: true });
  // The query may search with a non-ASCII text (uf_fold).
  defineSqliteFunctions(db);
  longReads++;
  try {
    let rows: unknown[][] = [];
    for (const row of db.prepare(query.sql).raw().iterate(...query.parameters) as IterableIterator<unknown[]>) {
      rows.push(row);
      if (rows.length === batch) {
        yield rows;
        rows = [];
      }
    }
    if (rows.length) yield rows;
  } finally {
    longReads--;
    db.close();
  }
}

async function preview(a: PreviewArgs): Promise<PolicyPreviewResponse> {
  const store = await storeReady;
  const now = new Date(a.now);
  const tally = tallyFor(a);
  if (config.sqliteFile) await tallyInSqlite(tally, a);
  else await tallyByRows(tally, store, a);
  // The first clients in the table's order, each decided in full (reason and message are per client).
  const clients: PolicyPreviewResponse['clients'] = [];
  for await (const batch of store.clientQueries.iterateClients({ groupId: a.groupId }, a.limit)) {
    for (const c of batch) {
      const d = decide(c, a.policy, a.releases, now, a.facts);
      clients.push({ client: c, action: d.action, targetVersion: d.release?.version ?? null, reason: d.reason, message: d.message });
    }
    break;
  }
  return { counts: tally.counts, total: tally.total, clients };
}

/**
 * SQLite: an aggregate function classes the group's clients as the database reads them (previewClasses.ts), so a
 * few hundred classes come back instead of every client of the group.
 */
async function tallyInSqlite(tally: PreviewTally, a: PreviewArgs): Promise<void> {
  const file = config.sqliteFile!;
  longReads++;
  try {
    // A large group is read by scanning the table: this thread scans one half, a second thread the other at once.
    const bounds = a.largeGroup ? seqBounds(file) : undefined;
    let rows;
    if (bounds && bounds.max - bounds.min > (config.previewSplitAbove ?? 50_000)) {
      const mid = Math.floor((bounds.min + bounds.max) / 2);
      const other = classRowsOnThread({ sqliteFile: file, args: a, from: mid, to: bounds.max + 1 });
      // A failed start must not go unhandled while this half runs.
      other.catch(() => {});
      const mine = classRows(file, a, tally, { from: bounds.min, to: mid });
      rows = [...mine, ...(await other)];
    } else {
      rows = classRows(file, a, tally);
    }
    for (const row of rows) tally.addClass({ id: row.id, version: row.version, deferredUntil: row.deferred_until }, row.n);
  } finally {
    longReads--;
  }
}

/**
 * PostgreSQL: a large group by ranges of the table on two connections (previewPostgres.ts); a small one, or a
 * server before TID range scans, in batches, each tallied while the next is read.
 */
async function tallyByRows(tally: PreviewTally, store: FleetStore, a: PreviewArgs): Promise<void> {
  if (a.largeGroup && config.postgresUrl && await hasTidRangeScans(store.db)) {
    await tallyLargeGroupOnPostgres(store.db, config.postgresUrl, a.groupId, tally);
    return;
  }
  await store.clientQueries.forEachDecisionInputBatch(a.groupId, a.largeGroup, (batch) => { for (const c of batch) tally.add(c); });
}

async function csv(id: number, a: CsvArgs): Promise<void> {
  const store = await storeReady;
  if (!a.filter.q?.trim()) {
    // The report in chunks whose lines the database writes (csvExport.ts): SQLite's on both cores, PostgreSQL's in
    // its own process.
    if (!config.sqliteFile) return sendText(id, csvChunksPostgres(store, a));
    longReads++;
    try {
      return await sendText(id, csvChunksInOrder(config.sqliteFile, store, a));
    } finally {
      longReads--;
    }
  }
  // A search's report (its matches come from the trigram index in one statement): rows as stored, written by
  // csvRows.
  const rows = tuples(store.clientQueries.exportQuery(a.filter), async function* () {
    for await (const b of store.clientQueries.iterateClients(a.filter, CSV_BATCH)) {
      yield b.map((c) => [c.computer, c.name, c.ip, c.address ?? null, c.user, c.groupId, c.version, c.targetVersion, c.state, c.reason, c.lastSeen]);
    }
  }, CSV_BATCH);
  await sendCsv(id, rows, (batch) => csvRows(withGroupNames(batch, a.groupNames)));
}

/** The header, then a chunk per batch of rows (sendText). */
function sendCsv(id: number, rows: AsyncGenerator<unknown[][]>, toText: (batch: unknown[][]) => string): Promise<void> {
  return sendText(id, (async function* () {
    try {
      for await (const batch of rows) yield toText(batch);
    } finally {
      await rows.return(undefined);
    }
  })());
}

/**
 * A stream's chunk as UTF-8, its buffer handed over: text is encoded here, not on the event loop (half a second of
 * its time for a million rows on PostgreSQL).
 */
function sendChunk(id: number, chunk: string | Uint8Array): void {
  const bytes = typeof chunk === 'string' ? ownUtf8(chunk) : chunk;
  port.postMessage({ id, chunk: bytes } satisfies HeavyReply, [bytes.buffer as ArrayBuffer]);
}

/**
 * The header, then each chunk: text, or bytes whose buffer goes to the server without a copy. The next chunk is
 * written while the server sends the last one, and sent only when the server has taken that one: neither thread
 * waits for the other, and memory stays flat. Stopping early (the client went away) closes the chunks' generator
 * and what it reads from.
 */
async function sendText(id: number, chunks: AsyncGenerator<string | Uint8Array>): Promise<void> {
  let pending: string | Uint8Array = csvHeader();
  let taken: Promise<boolean> = Promise.resolve(true);
  const sendNow = async (chunk: string | Uint8Array) => {
    if (!(await taken)) return false;
    sendChunk(id, chunk);
    taken = new Promise<boolean>((resolve) => waiting.set(id, resolve));
    return true;
  };
  try {
    for await (const chunk of chunks) {
      // Text joins the text before it (the header goes with the first rows); bytes go as they are.
      if (typeof chunk === 'string' && typeof pending === 'string') {
        pending += chunk;
        if (!(await sendNow(pending))) return;
        pending = '';
      } else {
        if (pending !== '' && !(await sendNow(pending))) return;
        pending = '';
        if (!(await sendNow(chunk))) return;
      }
    }
  } finally {
    await chunks.return(undefined);
  }
  if (!(await taken)) return;
  if (pending !== '') sendChunk(id, pending);
  send({ id, end: true });
}

async function handle(m: HeavyRequest): Promise<void> {
  const store = await storeReady;
  switch (m.kind) {
    case 'more':
    case 'cancel': {
      const resume = waiting.get(m.id);
      waiting.delete(m.id);
      resume?.(m.kind === 'more');
      return;
    }
    case 'csv':
      return csv(m.id, m.args);
    case 'preview':
      return send({ id: m.id, ok: true, result: await preview(m.args) });
    case 'count':
      return send({ id: m.id, ok: true, result: await store.clientQueries.countClientsCapped(m.args.filter, m.args.cap) });
    case 'notSeen':
      return send({ id: m.id, ok: true, result: await store.counts.notSeenSince(m.args.cutoff) });
    case 'walk':
      return send({ id: m.id, ok: true, result: await store.clientQueries.walkClients(m.args.req, m.args.budget) });
    case 'page':
      return send({ id: m.id, ok: true, result: await store.clientQueries.pageClients(m.args.req) });
    case 'origins':
      return send({ id: m.id, ok: true, result: await store.clientHistory.rollbackOrigins(m.args.version) });
  }
}

port.on('message', (m: HeavyRequest) => {
  handle(m).catch((err: unknown) => send({ id: m.id, ok: false, message: err instanceof Error ? err.message : String(err) }));
});
