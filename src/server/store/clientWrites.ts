// The SQL of a client write on SQLite (a check-in or a report), and one group-commit transaction of them. Shared
// by the writer thread (a server's file database) and the in-thread group commit (an in-memory database).
import type { Client } from '../../core/types';

export type BetterSqlite3Database = import('better-sqlite3').Database;
/** A client's row as stored (the check-in's one read). */
export type ClientRow = Omit<import('kysely').Selectable<import('./schema').ClientTable>, 'seq'>;
/** A client's credential record as stored. */
export type CredentialRow = import('kysely').Selectable<import('./schema').ClientCredentialTable>;
export const READ_CREDENTIAL_SQL = 'SELECT * FROM client_credentials WHERE client_id = ?';
export const READ_CLIENT_SQL = 'SELECT id, name, computer, ip, user_name, group_id, version, state, target_version, reason, deferred_until, last_seen, address FROM clients WHERE id = ?';
type Statement = import('better-sqlite3').Statement;

/**
 * Which statement a write needs, decided where the row as it was is known: a new client is inserted; the searched
 * columns are written only when one of them changed (the trigram index is rewritten on those, so the connection
 * address, which is not searched, goes with the cheaper statements); a check-in that changed nothing touches only
 * when the client was seen, until when it defers and from where. `seen` is a touch that need not be waited for
 * (see ClientWriter): it never moves the time back past a later write.
 */
export type ClientWriteKind = 'insert' | 'update-searched' | 'update' | 'touch' | 'seen';

export interface ClientWrite {
  kind: ClientWriteKind;
  /** State, version, target or reason changed: one more history entry. */
  changed: boolean;
  after: Client;
}

export function clientWriteKind(before: Client | undefined, after: Client, changed: boolean): ClientWriteKind {
  if (!before) return 'insert';
  if (before.name !== after.name || before.computer !== after.computer || before.ip !== after.ip || before.user !== after.user) return 'update-searched';
  if (changed) return 'update';
  return (before.address ?? null) === (after.address ?? null) && before.deferredUntil === after.deferredUntil ? 'seen' : 'touch';
}

/** What a failed write tells its caller across a thread: the message and SQLite's code. */
export interface ClientWriteError {
  message: string;
  code?: string;
}

export class ClientWriteStatements {
  private readonly s: Record<ClientWriteKind | 'history' | 'trim' | 'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'undo', Statement>;

  constructor(private readonly native: BetterSqlite3Database, private readonly historyPerClient: number) {
    this.s = {
      insert: native.prepare('INSERT INTO clients (id, name, computer, ip, user_name, group_id, version, state, target_version, reason, deferred_until, last_seen, address) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      'update-searched': native.prepare('UPDATE clients SET version = ?, state = ?, target_version = ?, reason = ?, deferred_until = ?, last_seen = ?, name = ?, computer = ?, ip = ?, user_name = ?, address = ? WHERE id = ?'),
      update: native.prepare('UPDATE clients SET version = ?, state = ?, target_version = ?, reason = ?, deferred_until = ?, last_seen = ?, address = ? WHERE id = ?'),
      touch: native.prepare('UPDATE clients SET last_seen = ?, deferred_until = ?, address = ? WHERE id = ?'),
      // The steady state of a fleet: nothing changed but when it was seen.
      seen: native.prepare('UPDATE clients SET last_seen = @at WHERE id = @id AND last_seen < @at'),
      // Entries are numbered per client (migration 0007): the next number is beside the client's newest entry.
      history: native.prepare(`INSERT INTO client_history (client_id, id, at, state, version, target_version, reason)
        VALUES (@client, (SELECT coalesce(max(id), 0) + 1 FROM client_history WHERE client_id = @client), @at, @state, @version, @target, @reason) RETURNING id`),
      trim: native.prepare('DELETE FROM client_history WHERE client_id = ? AND id <= ?'),
      begin: native.prepare('BEGIN IMMEDIATE'),
      commit: native.prepare('COMMIT'),
      rollback: native.prepare('ROLLBACK'),
      savepoint: native.prepare('SAVEPOINT client_write'),
      release: native.prepare('RELEASE client_write'),
      undo: native.prepare('ROLLBACK TO client_write'),
    };
  }

  private apply(w: ClientWrite): void {
    const { s } = this;
    const a = w.after;
    if (w.kind === 'insert') s.insert.run(a.id, a.name, a.computer, a.ip, a.user, a.groupId, a.version, a.state, a.targetVersion, a.reason, a.deferredUntil, a.lastSeen, a.address ?? null);
    else if (w.kind === 'update-searched') s['update-searched'].run(a.version, a.state, a.targetVersion, a.reason, a.deferredUntil, a.lastSeen, a.name, a.computer, a.ip, a.user, a.address ?? null, a.id);
    else if (w.kind === 'update') s.update.run(a.version, a.state, a.targetVersion, a.reason, a.deferredUntil, a.lastSeen, a.address ?? null, a.id);
    else if (w.kind === 'touch') s.touch.run(a.lastSeen, a.deferredUntil, a.address ?? null, a.id);
    else s.seen.run({ at: a.lastSeen, id: a.id });
    if (w.changed) {
      const { id } = s.history.get({ client: a.id, at: a.lastSeen, state: a.state, version: a.version, target: a.targetVersion, reason: a.reason }) as { id: number };
      // Numbers are consecutive per client: everything this far below the newest is past the bound.
      if (id > this.historyPerClient) s.trim.run(a.id, id - this.historyPerClient);
    }
  }

  /** BEGIN IMMEDIATE, as its own step: a caller that must not wait for the lock sets busy_timeout 0 around it. */
  begin(): void {
    this.s.begin.run();
  }

  /**
   * The writes of one transaction (begun by the caller), each in its own savepoint so that one bad write is undone
   * and fails alone; commits. Returns each write's error, or null. A failed commit rolls back and throws.
   */
  applyAndCommit(writes: readonly ClientWrite[]): Array<ClientWriteError | null> {
    const { s } = this;
    const results: Array<ClientWriteError | null> = [];
    try {
      for (const w of writes) {
        s.savepoint.run();
        try {
          this.apply(w);
          s.release.run();
          results.push(null);
        } catch (err) {
          s.undo.run();
          s.release.run();
          const e = err as { message?: string; code?: string };
          results.push({ message: e.message ?? String(err), ...(e.code ? { code: e.code } : {}) });
        }
      }
      s.commit.run();
    } catch (err) {
      if (this.native.inTransaction) s.rollback.run();
      throw err;
    }
    return results;
  }
}

/** A write's error as an Error again, with SQLite's code (callers map constraint failures by it). */
export function toError(e: ClientWriteError): Error {
  return Object.assign(new Error(e.message), e.code ? { code: e.code } : {});
}
