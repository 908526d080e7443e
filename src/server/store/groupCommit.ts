// SQLite group commit for client writes. A commit costs more than the statements of one check-in (it writes the
// WAL frames of every page touched), so the check-ins and reports that arrive in one turn of the event loop are
// written in one transaction, each in its own savepoint, and each is answered only after that commit: as durable
// as one transaction each, for a fraction of the cost.
import type { Kysely, Selectable } from 'kysely';
import type { Client } from '../../core/types';
import type { ClientTable, Database } from './schema';

export type BetterSqlite3Database = import('better-sqlite3').Database;
type Statement = import('better-sqlite3').Statement;
type ClientRow = Omit<Selectable<ClientTable>, 'seq'>;

const BUSY_RETRY_MS = 2;
/**
 * Writes per transaction at most. At a million clients a write can wait for pages from the disk, and a flush runs
 * on the event loop: a cap keeps each stop short, the rest goes in the next turn.
 */
const MAX_BATCH = 16;


interface Pending {
  run: () => void;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GroupCommit {
  private queue: Pending[] = [];
  private readonly s: Record<'get' | 'touch' | 'update' | 'updateAll' | 'insert' | 'history' | 'cutoff' | 'trim' | 'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'undo', Statement>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly native: BetterSqlite3Database,
    /** The store's bounds: history kept per client, and the connection's busy timeout outside a flush. */
    private readonly limits: { historyPerClient: number; busyTimeoutMs: number },
  ) {
    this.s = {
      get: native.prepare('SELECT id, name, computer, ip, user_name, group_id, version, state, target_version, reason, deferred_until, last_seen, address FROM clients WHERE id = ?'),
      touch: native.prepare('UPDATE clients SET last_seen = ?, deferred_until = ? WHERE id = ?'),
      update: native.prepare('UPDATE clients SET version = ?, state = ?, target_version = ?, reason = ?, deferred_until = ?, last_seen = ? WHERE id = ?'),
      // Only when a searched column changes: the trigram index is rewritten on those.
      updateAll: native.prepare('UPDATE clients SET version = ?, state = ?, target_version = ?, reason = ?, deferred_until = ?, last_seen = ?, name = ?, computer = ?, ip = ?, user_name = ?, address = ? WHERE id = ?'),
      insert: native.prepare('INSERT INTO clients (id, name, computer, ip, user_name, group_id, version, state, target_version, reason, deferred_until, last_seen, address) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      history: native.prepare('INSERT INTO client_history (client_id, at, state, version, target_version, reason) VALUES (?, ?, ?, ?, ?, ?)'),
      cutoff: native.prepare('SELECT id FROM client_history WHERE client_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?'),
      trim: native.prepare('DELETE FROM client_history WHERE client_id = ? AND id <= ?'),
      begin: native.prepare('BEGIN IMMEDIATE'),
      commit: native.prepare('COMMIT'),
      rollback: native.prepare('ROLLBACK'),
      savepoint: native.prepare('SAVEPOINT client_write'),
      release: native.prepare('RELEASE client_write'),
      undo: native.prepare('ROLLBACK TO client_write'),
    };
  }

  /** The check-in's one read, straight from a prepared statement (no query building per request). */
  readClient(id: string): ClientRow | undefined {
    return this.s.get.get(id) as ClientRow | undefined;
  }

  writeClient(before: Client | undefined, after: Client, changed: boolean): Promise<void> {
    const s = this.s;
    return this.enqueue(() => {
      if (!before) {
        s.insert.run(after.id, after.name, after.computer, after.ip, after.user, after.groupId, after.version, after.state, after.targetVersion, after.reason, after.deferredUntil, after.lastSeen, after.address ?? null);
      } else if (before.name !== after.name || before.computer !== after.computer || before.ip !== after.ip || before.user !== after.user || (before.address ?? null) !== (after.address ?? null)) {
        s.updateAll.run(after.version, after.state, after.targetVersion, after.reason, after.deferredUntil, after.lastSeen, after.name, after.computer, after.ip, after.user, after.address ?? null, after.id);
      } else if (changed) {
        s.update.run(after.version, after.state, after.targetVersion, after.reason, after.deferredUntil, after.lastSeen, after.id);
      } else {
        // The steady state of a fleet: nothing changed but when it was seen.
        s.touch.run(after.lastSeen, after.deferredUntil, after.id);
      }
      if (changed) {
        s.history.run(after.id, after.lastSeen, after.state, after.version, after.targetVersion, after.reason);
        const cutoff = s.cutoff.get(after.id, this.limits.historyPerClient) as { id: number } | undefined;
        if (cutoff) s.trim.run(after.id, cutoff.id);
      }
    });
  }

  private enqueue(run: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ run, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(retryOf?: Pending[]): Promise<void> {
    const all = retryOf ? [...retryOf, ...this.queue] : this.queue;
    const batch = all.slice(0, MAX_BATCH);
    this.queue = all.slice(MAX_BATCH);
    if (this.queue.length) setImmediate(() => void this.flush());
    if (batch.length === 0) return;
    const failed = new Map<Pending, unknown>();
    let busy = false;
    try {
      // Through Kysely's connection, so a Kysely transaction in progress is never joined or interleaved.
      await this.db.connection().execute(async () => {
        const s = this.s;
        // The checkpointer's RESTART holds writers off for a moment: come back then, never wait in here.
        this.native.pragma('busy_timeout = 0');
        try {
          s.begin.run();
        } catch (err) {
          if ((err as { code?: string }).code === 'SQLITE_BUSY') { busy = true; return; }
          throw err;
        } finally {
          this.native.pragma(`busy_timeout = ${this.limits.busyTimeoutMs}`);
        }
        try {
          for (const p of batch) {
            // Each write in its own savepoint: one bad write is undone alone and fails alone.
            s.savepoint.run();
            try {
              p.run();
              s.release.run();
            } catch (err) {
              s.undo.run();
              s.release.run();
              failed.set(p, err);
            }
          }
          s.commit.run();
        } catch (err) {
          if (this.native.inTransaction) s.rollback.run();
          throw err;
        }
      });
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    if (busy) {
      setTimeout(() => void this.flush(batch), BUSY_RETRY_MS);
      return;
    }
    for (const p of batch) {
      if (failed.has(p)) p.reject(failed.get(p));
      else p.resolve();
    }
  }
}
