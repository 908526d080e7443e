// Clients per (group, version, state, target version): the counts table the triggers keep (migration 0002), a few
// hundred rows whatever the fleet's size, and the one count that table cannot hold (clients not seen since a time).
// Reached as store.counts.
import { sql, type Kysely } from 'kysely';
import type { ClientState } from '../../core/types';
import type { StateVersionCount } from '../../core/summary';
import type { Database } from './schema';

export interface ClientCount extends StateVersionCount {
  groupId: string;
  targetVersion: string | null;
}

export class ClientCounts {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * The counts table's live rows, in the key's order: along the primary key, PostgreSQL reads only the pages that
   * hold live rows, however many pages dead versions have left behind (migration 0010).
   */
  query() {
    return this.db.selectFrom('client_counts').select(['group_id', 'version', 'state', 'target', 'n']).where('n', '>', 0)
      .orderBy('group_id').orderBy('version').orderBy('state').orderBy('target');
  }

  /** Every count of the table: every fleet-wide figure is computed from these. */
  async all(): Promise<ClientCount[]> {
    const rows = await this.query().execute();
    return rows.map((r) => ({ groupId: r.group_id, version: r.version, state: r.state as ClientState, targetVersion: r.target === '' ? null : r.target, count: Number(r.n) }));
  }

  /**
   * Clients whose last check-in is before `cutoff`, per counts key: a scan (last_seen changes on every check-in, so
   * an index on it would be written by every check-in). Run by the heavy-read worker only.
   */
  async notSeenSince(cutoff: string): Promise<ClientCount[]> {
    const r = await sql<{ group_id: string; version: string; state: string; target: string; n: number | string }>`
      SELECT group_id, version, state, coalesce(target_version, '') AS target, count(*) AS n FROM clients
      WHERE last_seen < ${cutoff} GROUP BY group_id, version, state, coalesce(target_version, '')`.execute(this.db);
    return r.rows.map((x) => ({ groupId: x.group_id, version: x.version, state: x.state as ClientState, targetVersion: x.target === '' ? null : x.target, count: Number(x.n) }));
  }
}
