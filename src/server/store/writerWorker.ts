// The client-writer thread: every check-in and report write of a server on a SQLite file runs here, on a connection
// of its own. A write at a million clients changes pages all over the indexes (hundreds of microseconds of CPU);
// here that runs beside the event loop instead of on it, which answers requests and reads the client rows (WAL
// lets it read while this thread writes). Writes that arrive while a transaction commits go in the next one.
//
// This thread is also the WAL's checkpointer: it is the one that grows the log, it knows when it is idle, and a
// checkpoint that waits here stops no request.
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { ClientWriteStatements, type ClientWriteError } from './clientWrites';
import { defineSqliteFunctions } from './sqliteFunctions';
import type { WriterConfig, WriterReply, WriterRequest } from './writerProtocol';

/** Every this many checkpoints a RESTART, so the log starts again from its beginning and keeps its size. */
const RESTART_EVERY = 8;

const config = workerData as WriterConfig;
const port = parentPort!;
const db = new BetterSqlite3(config.sqliteFile);
defineSqliteFunctions(db);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
db.pragma('wal_autocheckpoint = 0');
db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
// The writer walks every index of the clients table: their upper levels stay in this connection's cache.
db.pragma('cache_size = -32768');
db.pragma(`busy_timeout = ${config.busyTimeoutMs}`);
const statements = new ClientWriteStatements(db, config.historyPerClient);

let writesSinceCheckpoint = 0;
let checkpoints = 0;

function checkpoint(): void {
  try {
    // PASSIVE copies what no reader still needs and waits for nobody. A RESTART (now and then) must wait for the
    // readers of older snapshots: with a zero timeout it does what it can at once, and an export that holds a
    // snapshot for minutes never holds the writes up.
    const restart = ++checkpoints % RESTART_EVERY === 0;
    if (restart) db.pragma('busy_timeout = 0');
    try {
      db.pragma(`wal_checkpoint(${restart ? 'RESTART' : 'PASSIVE'})`);
    } finally {
      if (restart) db.pragma(`busy_timeout = ${config.busyTimeoutMs}`);
    }
  } catch {
    /* busy: the next time */
  }
  writesSinceCheckpoint = 0;
}

let idleTimer: NodeJS.Timeout | undefined;

function handle(m: Extract<WriterRequest, { writes: unknown }>): WriterReply {
  try {
    statements.begin();
    const results = statements.applyAndCommit(m.writes);
    writesSinceCheckpoint += m.writes.length;
    return { id: m.id, results };
  } catch (err) {
    const e = err as { message?: string; code?: string };
    const failed: ClientWriteError = { message: e.message ?? String(err), ...(e.code ? { code: e.code } : {}) };
    return { id: m.id, failed };
  }
}

port.on('message', (m: WriterRequest) => {
  if ('close' in m) {
    if (idleTimer) clearTimeout(idleTimer);
    db.close();
    port.close();
    return;
  }
  port.postMessage(handle(m));
  if (writesSinceCheckpoint >= config.checkpointAfterWrites) checkpoint();
  if (idleTimer) clearTimeout(idleTimer);
  // Also takes the frames of the admin writes made on the server's own connection.
  idleTimer = setTimeout(checkpoint, config.checkpointIdleMs);
});

port.postMessage({ ready: true } satisfies WriterReply);
