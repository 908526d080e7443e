// PostgreSQL: the agent requests' reads (credential and client row, see FleetStore.getAgent) asked in one turn of
// the event loop go as one query. A statement is a round trip whose write wakes the database's process, and whose
// text the database parses and plans anew: at a thousand check-ins a second, one per check-in cost more than the
// reads themselves.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema';

/** The client row's columns beside a credential's, prefixed `c_` (NULL without a client row). */
export const AGENT_CLIENT_COLUMNS = ['id', 'name', 'computer', 'ip', 'user_name', 'group_id', 'version', 'state', 'target_version', 'reason', 'deferred_until', 'last_seen', 'address']
  .map((c) => `c.${c} AS c_${c}`).join(', ');

/** Ids per query at most. */
const BATCH = 128;

export type PgAgentRow = Record<string, unknown> & { client_id: string; c_id: string | null };

interface Pending {
  id: string;
  resolve: (row: PgAgentRow | undefined) => void;
  reject: (err: Error) => void;
}

export class PgAgentReads {
  private queued: Pending[] = [];

  constructor(private readonly db: Kysely<Database>) {}

  read(clientId: string): Promise<PgAgentRow | undefined> {
    return new Promise((resolve, reject) => {
      this.queued.push({ id: clientId, resolve, reject });
      if (this.queued.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const all = this.queued;
    this.queued = [];
    for (let i = 0; i < all.length; i += BATCH) void this.query(all.slice(i, i + BATCH));
  }

  private async query(batch: Pending[]): Promise<void> {
    try {
      const ids = [...new Set(batch.map((p) => p.id))];
      const r = await sql<PgAgentRow>`
        SELECT cc.*, ${sql.raw(AGENT_CLIENT_COLUMNS)} FROM client_credentials cc LEFT JOIN clients c ON c.id = cc.client_id WHERE cc.client_id = ANY(${ids}::text[])`.execute(this.db);
      const byId = new Map(r.rows.map((row) => [row.client_id, row]));
      for (const p of batch) p.resolve(byId.get(p.id));
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
    }
  }
}
