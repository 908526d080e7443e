// PostgreSQL group commit for client writes. Each commit waits for its WAL to reach the disk, and each statement is
// a round trip (a few hundred microseconds of the event loop's time here, waking the database's process): so the
// check-ins and reports that arrive in one turn of the event loop are written together — one statement of
// set-based parts — and each is answered only after that commit. If the batch fails as a whole, every write is
// tried again alone, so one bad write fails alone. An unchanged check-in's time is held a moment and written with
// the others of that moment, waited for by nobody (seenHold.ts).
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Client } from '../../core/types';
import { clientWriteKind } from './clientWrites';
import type { Database } from './schema';
import { SeenHold } from './seenHold';

interface Pending {
  before: Client | undefined;
  after: Client;
  changed: boolean;
  /** An unchanged check-in's time, held and handed over (seenHold.ts): only last_seen, and never back. */
  seen?: true;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Held "seen" times written at once, whatever their age. */
const SEEN_HOLD_MAX = 1024;
const settled = (): void => {};

export class PgGroupCommit {
  private queue: Pending[] = [];
  /** One batch at a time: two would take the same count rows in different orders, and wait for each other. */
  private flushing: Promise<void> | null = null;
  private readonly seen = new SeenHold((clients) => {
    for (const after of clients) this.queue.push({ before: after, after, changed: false, seen: true, resolve: settled, reject: settled });
    if (!this.flushing) void this.flush();
  }, SEEN_HOLD_MAX);

  constructor(
    private readonly db: Kysely<Database>,
    private readonly historyPerClient: number,
    /** The one-write path, for a batch that failed as a whole. */
    private readonly writeAlone: (before: Client | undefined, after: Client, changed: boolean) => Promise<void>,
  ) {}

  writeClient(before: Client | undefined, after: Client, changed: boolean): Promise<void> {
    // A check-in that changed nothing but the time it was seen: nobody waits for that time (seenHold.ts).
    if (clientWriteKind(before, after, changed) === 'seen') {
      this.seen.hold(after);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ before, after, changed, resolve, reject });
      if (this.queue.length === 1 && !this.flushing) setImmediate(() => void this.flush());
    });
  }

  private flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return Promise.resolve();
    const flushing = this.write(batch).finally(() => {
      this.flushing = null;
      // What queued up meanwhile is the next batch.
      if (this.queue.length) setImmediate(() => void this.flush());
    });
    this.flushing = flushing;
    return flushing;
  }

  /** Writes what is held and queued, and waits for it (the store is closing). */
  async close(): Promise<void> {
    this.seen.flush();
    while (this.flushing || this.queue.length) await (this.flushing ?? this.flush());
  }

  private async write(batch: Pending[]): Promise<void> {
    try {
      // A client twice in one batch: its writes go in order, one per round (an UPDATE … FROM takes one row per id).
      const rounds: Pending[][] = [];
      let rest = batch;
      while (rest.length) {
        const seen = new Set<string>();
        const round: Pending[] = [];
        const later: Pending[] = [];
        for (const p of rest) {
          (seen.has(p.after.id) ? later : round).push(p);
          seen.add(p.after.id);
        }
        rounds.push(round);
        rest = later;
      }
      // The usual batch is one round: one statement, committed on its own (one round trip instead of five).
      if (rounds.length === 1) await this.writeRound(this.db, rounds[0]);
      else await this.db.transaction().execute(async (tx) => { for (const round of rounds) await this.writeRound(tx, round); });
    } catch {
      for (const p of batch) await (p.seen ? this.writeSeen([p.after]) : this.writeAlone(p.before, p.after, p.changed)).then(p.resolve, p.reject);
      return;
    }
    for (const p of batch) p.resolve();
  }

  /**
   * One round as one statement: new clients, updated clients, their history entries and the trim, as data-modifying
   * CTEs. They all see the table as it was when the statement began, so the trim keeps one entry fewer than the
   * bound of those already there (each client has one new entry here).
   */
  private async writeRound(db: Kysely<Database> | Transaction<Database>, round: Pending[]): Promise<void> {
    const inserts = round.filter((p) => !p.before).map((p) => p.after);
    const updates = round.filter((p) => p.before && !p.seen).map((p) => p.after);
    const seen = round.filter((p) => p.seen).map((p) => p.after);
    const changed = round.filter((p) => p.changed).map((p) => p.after);
    const parts = [];
    if (inserts.length) {
      // A new client checking in through two server processes at once: the second write updates.
      parts.push(sql`new_clients AS (INSERT INTO clients (id, name, computer, ip, user_name, group_id, version, state, target_version, reason, deferred_until, last_seen, address)
        VALUES ${sql.join(inserts.map((c) => sql`(${c.id}, ${c.name}, ${c.computer}, ${c.ip}, ${c.user}, ${c.groupId}, ${c.version}, ${c.state}, ${c.targetVersion}, ${c.reason}, ${c.deferredUntil}, ${c.lastSeen}, ${c.address ?? null})`))}
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, computer = excluded.computer, ip = excluded.ip, user_name = excluded.user_name, address = excluded.address,
          version = excluded.version, state = excluded.state, target_version = excluded.target_version, reason = excluded.reason,
          deferred_until = excluded.deferred_until, last_seen = excluded.last_seen RETURNING 1)`);
    }
    if (updates.length) {
      // Unchanged values are written back as they are: PostgreSQL keeps such an update off the indexes (HOT).
      parts.push(sql`updated_clients AS (UPDATE clients AS c SET name = d.name, computer = d.computer, ip = d.ip, user_name = d.user_name, version = d.version,
          state = d.state, target_version = d.target_version, reason = d.reason, deferred_until = d.deferred_until, last_seen = d.last_seen, address = d.address
        FROM (VALUES ${sql.join(updates.map((c) => sql`(${c.id}::text, ${c.name}::text, ${c.computer}::text, ${c.ip}::text, ${c.user}::text, ${c.version}::text, ${c.state}::text, ${c.targetVersion}::text, ${c.reason}::text, ${c.deferredUntil}::text, ${c.lastSeen}::text, ${c.address ?? null}::text)`))})
          AS d(id, name, computer, ip, user_name, version, state, target_version, reason, deferred_until, last_seen, address)
        WHERE c.id = d.id RETURNING 1)`);
    }
    if (changed.length) {
      parts.push(sql`new_history AS (INSERT INTO client_history (client_id, at, state, version, target_version, reason)
        VALUES ${sql.join(changed.map((c) => sql`(${c.id}, ${c.lastSeen}, ${c.state}, ${c.version}, ${c.targetVersion}, ${c.reason})`))} RETURNING 1)`);
      parts.push(sql`trimmed_history AS (DELETE FROM client_history WHERE id IN (
          SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY client_id ORDER BY id DESC) AS rn
            FROM client_history WHERE client_id = ANY(${changed.map((c) => c.id)}::text[])) AS h
          WHERE h.rn > ${this.historyPerClient - 1}) RETURNING 1)`);
    }
    if (seen.length) parts.push(sql`seen_clients AS (${this.seenSql(seen)} RETURNING 1)`);
    if (parts.length === 0) return;
    await sql`WITH ${sql.join(parts)} SELECT 1`.execute(db);
  }

  /** Held times: last_seen alone, and only forward (a later write of the client may have landed first). */
  private seenSql(seen: Client[]) {
    return sql`UPDATE clients AS c SET last_seen = d.at
      FROM (VALUES ${sql.join(seen.map((c) => sql`(${c.id}::text, ${c.lastSeen}::text)`))}) AS d(id, at)
      WHERE c.id = d.id AND c.last_seen < d.at`;
  }

  private async writeSeen(seen: Client[]): Promise<void> {
    await this.seenSql(seen).execute(this.db);
  }
}
