// Clients' history as stored: an entry whenever something an admin cares about changed (state, version, target,
// reason), the newest HISTORY_PER_CLIENT kept per client by the writes. Reached as store.clientHistory.
import { sql, type Kysely } from 'kysely';
import type { ClientHistoryEntry, ClientState } from '../../core/types';
import type { RollbackOrigin } from '../../core/rollback';
import type { Database } from './schema';

/** A client's history is bounded: the newest entries are what an admin needs, and a million clients must fit. */
export const HISTORY_PER_CLIENT = 50;

/** A rollback reads the history of at most this many of the affected clients (each at most HISTORY_PER_CLIENT rows). */
export const ROLLBACK_SAMPLE = 1_000;

export class ClientHistory {
  constructor(private readonly db: Kysely<Database>) {}

  /** One client's entries, newest first. */
  async entries(clientId: string, limit = HISTORY_PER_CLIENT): Promise<ClientHistoryEntry[]> {
    const rows = await this.db.selectFrom('client_history').selectAll().where('client_id', '=', clientId).orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) => ({ at: r.at, state: r.state as ClientState, version: r.version, targetVersion: r.target_version, reason: r.reason }));
  }

  /**
   * Where clients on `version` came from: per client of a bounded sample (LIMIT; no version index, so the
   * server asks the heavy-read worker on SQLite), the version of its newest history entry on another version (the
   * history's (client, entry) key), counted per version.
   */
  async rollbackOrigins(version: string, sample = ROLLBACK_SAMPLE): Promise<RollbackOrigin[]> {
    // History entries are numbered per client on SQLite (migration 0007): an entry is (client, number).
    const rows = await sql<{ version: string; n: number | string }>`
      SELECT h.version AS version, count(*) AS n
      FROM (SELECT c.id AS cid, (SELECT max(h2.id) FROM client_history h2 WHERE h2.client_id = c.id AND h2.version <> ${version}) AS hid
            FROM (SELECT id FROM clients WHERE version = ${version} LIMIT ${sample}) c) p
      JOIN client_history h ON h.client_id = p.cid AND h.id = p.hid
      GROUP BY h.version`.execute(this.db);
    return rows.rows.map((r) => ({ version: r.version, clients: Number(r.n) }));
  }
}
