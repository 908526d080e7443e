// Unchanged check-ins' "seen" times, held a moment and written together, on both databases. The steady state of a
// fleet is a check-in that changes nothing but when its client was seen: its answer does not depend on that time
// being on disk, so nobody waits for it. Written one transaction each, they were most of a small fleet's commits (on
// SQLite each drops the reader's whole page cache and writes a log frame per page; on PostgreSQL each is a statement
// and a WAL flush). Held, a client seen twice in the moment is written once. A crash loses at most the moment's
// times, never a change; a "seen" never moves the time back, so it may land after a later write of its client.
import type { Client } from '../../core/types';

/** A held time is written this late at most. */
export const SEEN_HOLD_MS = 1000;

export class SeenHold {
  /** The newest unchanged check-in per client, not yet handed over. */
  private held = new Map<string, Client>();
  private timer: NodeJS.Timeout | null = null;

  /**
   * `write`: takes what was held (it writes them with a statement that never moves "last seen" back). `max`: held
   * times handed over at once, whatever their age.
   */
  constructor(private readonly write: (seen: Client[]) => void, private readonly max: number, private readonly holdMs = SEEN_HOLD_MS) {}

  get size(): number {
    return this.held.size;
  }

  hold(after: Client): void {
    const held = this.held.get(after.id);
    if (held && held.lastSeen >= after.lastSeen) return;
    this.held.set(after.id, after);
    if (this.held.size >= this.max) this.flush();
    // Unref'd: the store's close() hands over what is held; a timer must not keep a finished process alive.
    else this.timer ??= setTimeout(() => this.flush(), this.holdMs).unref();
  }

  /** Hands over everything held now (its moment is up, the hold is full, or the store is closing). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.held.size === 0) return;
    const seen = [...this.held.values()];
    this.held = new Map();
    this.write(seen);
  }

  /** Forgets what is held (the writer has stopped). */
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.held = new Map();
  }
}
