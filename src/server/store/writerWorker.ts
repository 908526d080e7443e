// The client-writer thread: every check-in and report write of a server on a SQLite file runs here, on a connection
// of its own. A write at a million clients changes pages all over the indexes (hundreds of microseconds of CPU);
// here that runs beside the event loop instead of on it. Writes that arrive while a transaction commits go in the
// next one. The heavy-read worker checkpoints the WAL: a checkpoint's copy and fsync here would hold up every write.
// The same script, started with `reader`, is the client-reader thread: agent requests' reads on a read-only
// connection (WAL lets it read while the writer writes).
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { ClientWriteStatements, READ_CLIENT_SQL, READ_CREDENTIAL_SQL, type ClientRow, type ClientWriteError, type CredentialRow } from './clientWrites';
import { waitAtGate } from './restartGate';
import { defineSqliteFunctions } from './sqliteFunctions';
import type { WriterConfig, WriterReply, WriterRequest } from './writerProtocol';

const config = workerData as WriterConfig;
const port = parentPort!;
const db = new BetterSqlite3(config.sqliteFile, { readonly: !!config.reader });
defineSqliteFunctions(db);
if (!config.reader) {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('wal_autocheckpoint = 0');
  db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
}
// The writer walks every index of the clients table: their upper levels stay in this connection's cache (the
// reader's is dropped at each of the writer's commits: a smaller one will do).
db.pragma(`cache_size = ${config.reader ? -8192 : -16384}`);
db.pragma(`busy_timeout = ${config.busyTimeoutMs}`);
const statements = config.reader ? undefined : new ClientWriteStatements(db, config.historyPerClient);
const readClient = db.prepare(READ_CLIENT_SQL);
const readCredential = db.prepare(READ_CREDENTIAL_SQL);

const gate = config.restartGate ? new Int32Array(config.restartGate) : undefined;

function handle(m: Extract<WriterRequest, { writes: unknown }>): WriterReply {
  try {
    if (!statements) throw new Error('The reader thread does not write.');
    // The checkpointer is starting the log again: it needs a moment with no transaction (see checkpointer.ts).
    if (gate) waitAtGate(gate);
    statements.begin();
    const results = statements.applyAndCommit(m.writes);
    return { id: m.id, results };
  } catch (err) {
    const e = err as { message?: string; code?: string };
    const failed: ClientWriteError = { message: e.message ?? String(err), ...(e.code ? { code: e.code } : {}) };
    return { id: m.id, failed };
  }
}

// A message's reads in one read transaction: one lock of the log's index, and one look at whether the writer has
// committed since (which drops this connection's cache), for all of them instead of each.
const readRows = db.transaction((ids: string[]) => ids.map((id) => readClient.get(id) as ClientRow | undefined));
const readAgents = db.transaction((ids: string[]) => ids.map((id) => {
  const credential = readCredential.get(id) as CredentialRow | undefined;
  // No credential, no check-in: the client row is read only for a request that may go on.
  const client = credential ? readClient.get(id) as ClientRow | undefined : undefined;
  return { ...(credential ? { credential } : {}), ...(client ? { client } : {}) };
}));

port.on('message', (m: WriterRequest) => {
  if ('reads' in m) {
    port.postMessage({ id: m.id, rows: readRows(m.reads) } satisfies WriterReply);
    return;
  }
  if ('agents' in m) {
    port.postMessage({ id: m.id, agents: readAgents(m.agents) } satisfies WriterReply);
    return;
  }
  if ('close' in m) {
    db.close();
    port.close();
    return;
  }
  port.postMessage(handle(m));
});

port.postMessage({ ready: true } satisfies WriterReply);
