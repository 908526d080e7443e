// The audit log's rows: who did what to which target, when. Appended by every admin action (fleet.ts), read newest
// first by the console's Audit view with its filters.
import { sql, type Kysely } from 'kysely';
import type { AuditEntry } from '../../core/types';
import type { Dialect } from './migrations';
import type { Database } from './schema';

export interface AuditFilter {
  limit: number;
  /** Entries older than this id (keyset paging). */
  before?: number;
  /** Exact token name. */
  actor?: string;
  /** Exact action (release.approve) or a prefix ending in a dot (release.). */
  action?: string;
  /** Exact target (a version, a group name, a computer). */
  target?: string;
  /** ISO-8601 bounds on `at`, inclusive. */
  since?: string;
  until?: string;
}

export class AuditLog {
  constructor(private readonly db: Kysely<Database>, private readonly dialect: Dialect) {}

  async add(e: Omit<AuditEntry, 'id'>): Promise<void> {
    await this.db.insertInto('audit').values(e).execute();
  }

  async list(limit: number, beforeId?: number): Promise<AuditEntry[]> {
    let q = this.db.selectFrom('audit').selectAll();
    if (beforeId !== undefined) q = q.where('id', '<', beforeId);
    const rows = await q.orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  /** With filters: exact actor and target, an action or an action prefix, a time range. Newest first, by id. */
  async search(f: AuditFilter): Promise<AuditEntry[]> {
    let q = this.db.selectFrom('audit').selectAll();
    if (f.before !== undefined) q = q.where('id', '<', f.before);
    if (f.actor) q = q.where('actor', '=', f.actor);
    if (f.action) {
      if (f.action.endsWith('.')) {
        // A prefix as a range (release. ≤ action < release/), which the (action, id) index answers; LIKE would not.
        // Byte order on both: PostgreSQL compares in "C" (its index is built so, migration 0005).
        const upper = f.action.slice(0, -1) + '/';
        const col = this.dialect === 'postgres' ? sql<string>`action COLLATE "C"` : sql<string>`action`;
        q = q.where(col, '>=', f.action).where(col, '<', upper);
      } else q = q.where('action', '=', f.action);
    }
    if (f.target) q = q.where('target', '=', f.target);
    if (f.since) q = q.where('at', '>=', f.since);
    if (f.until) q = q.where('at', '<=', f.until);
    const rows = await q.orderBy('id', 'desc').limit(f.limit).execute();
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }
}
