// SQLite group commit for client writes. A commit costs more than the statements of one check-in (it writes the
// WAL frames of every page touched), so the check-ins and reports that arrive in one turn of the event loop are
// written in one transaction, each in its own savepoint, and each is answered only after that commit: as durable
// as one transaction each, for a fraction of the cost.
import type { Kysely } from 'kysely';
import type { Client } from '../../core/types';
import { ClientWriteStatements, clientWriteKind, toError, type BetterSqlite3Database, type ClientWriteError } from './clientWrites';
import type { Database } from './schema';

export type { BetterSqlite3Database } from './clientWrites';

const BUSY_RETRY_MS = 2;
/**
 * Writes per transaction at most. At a million clients a write can wait for pages from the disk, and a flush runs
 * on the event loop: a cap keeps each stop short, the rest goes in the next turn.
 */
const MAX_BATCH = 16;

interface Pending {
  write: import('./clientWrites').ClientWrite;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** The in-thread group commit, for a database no other thread can open (in memory). */
export class GroupCommit {
  private queue: Pending[] = [];
  private readonly statements: ClientWriteStatements;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly native: BetterSqlite3Database,
    /** The store's bounds: history kept per client, and the connection's busy timeout outside a flush. */
    private readonly limits: { historyPerClient: number; busyTimeoutMs: number },
  ) {
    this.statements = new ClientWriteStatements(native, limits.historyPerClient);
  }

  writeClient(before: Client | undefined, after: Client, changed: boolean): Promise<void> {
    return this.enqueue({ kind: clientWriteKind(before, after, changed), changed, after });
  }

  private enqueue(write: Pending['write']): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(retryOf?: Pending[]): Promise<void> {
    const all = retryOf ? [...retryOf, ...this.queue] : this.queue;
    const batch = all.slice(0, MAX_BATCH);
    this.queue = all.slice(MAX_BATCH);
    if (this.queue.length) setImmediate(() => void this.flush());
    if (batch.length === 0) return;
    let results: Array<ClientWriteError | null> = [];
    let busy = false;
    try {
      // Through Kysely's connection, so a Kysely transaction in progress is never joined or interleaved.
      await this.db.connection().execute(async () => {
        // Another connection's checkpoint can hold writers off for a moment: come back then, never wait in here.
        this.native.pragma('busy_timeout = 0');
        try {
          this.statements.begin();
        } catch (err) {
          if ((err as { code?: string }).code === 'SQLITE_BUSY') { busy = true; return; }
          throw err;
        } finally {
          this.native.pragma(`busy_timeout = ${this.limits.busyTimeoutMs}`);
        }
        results = this.statements.applyAndCommit(batch.map((p) => p.write));
      });
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    if (busy) {
      setTimeout(() => void this.flush(batch), BUSY_RETRY_MS);
      return;
    }
    batch.forEach((p, i) => {
      const e = results[i];
      if (e) p.reject(toError(e));
      else p.resolve();
    });
  }
}
