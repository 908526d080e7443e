// Client credentials (migration 0004): a record per client id, holding the sha256 of the client's secret (never the
// secret), its admission status and who decided it. Agent requests read theirs with FleetStore.getAgent, beside
// the client row; this is everything else: enrollment, the console's decisions, the Pending list.
import type { Kysely, Selectable } from 'kysely';
import type { CredentialStatus } from '../../core/admission';
import type { EnrollmentView } from '../../core/wire';
import type { ClientCredentialTable, Database } from './schema';

/** A client id's credential and admission status: what the console sees, and the secret only as its sha256. */
export interface CredentialRecord extends EnrollmentView {
  secretHash: string | null;
}

export function rowToCredential(r: Selectable<ClientCredentialTable>): CredentialRecord {
  return {
    clientId: r.client_id, secretHash: r.secret_hash, status: r.status as CredentialStatus, name: r.name, computer: r.computer,
    ip: r.ip, user: r.user_name, address: r.address, enrolledAt: r.enrolled_at, decidedAt: r.decided_at, decidedBy: r.decided_by,
  };
}

function credentialToRow(c: CredentialRecord): ClientCredentialTable {
  return {
    client_id: c.clientId, secret_hash: c.secretHash, status: c.status, name: c.name, computer: c.computer, ip: c.ip,
    user_name: c.user, address: c.address, enrolled_at: c.enrolledAt, decided_at: c.decidedAt, decided_by: c.decidedBy,
  };
}

export class Credentials {
  /** `byId`: on SQLite, the read by id prepared once on the server's connection. */
  constructor(private readonly db: Kysely<Database>, private readonly byId?: import('better-sqlite3').Statement) {}

  /** One client's credential (enrollment and the console's decisions). */
  async get(clientId: string): Promise<CredentialRecord | undefined> {
    if (this.byId) {
      const row = this.byId.get(clientId) as Selectable<ClientCredentialTable> | undefined;
      return row ? rowToCredential(row) : undefined;
    }
    const r = await this.db.selectFrom('client_credentials').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    return r ? rowToCredential(r) : undefined;
  }

  /** Insert or replace an id's credential record. */
  async put(c: CredentialRecord): Promise<void> {
    const row = credentialToRow(c);
    const { client_id: _id, ...rest } = row;
    await this.db.insertInto('client_credentials').values(row).onConflict((oc) => oc.column('client_id').doUpdateSet(rest)).execute();
  }

  async setStatus(clientId: string, status: CredentialStatus, at: string, by: string): Promise<void> {
    await this.db.updateTable('client_credentials').set({ status, decided_at: at, decided_by: by }).where('client_id', '=', clientId).execute();
  }

  /** Ids in one status, oldest enrollment first (the Pending list). */
  async list(status: CredentialStatus, limit: number): Promise<CredentialRecord[]> {
    const rows = await this.db.selectFrom('client_credentials').selectAll().where('status', '=', status).orderBy('enrolled_at').orderBy('client_id').limit(limit).execute();
    return rows.map(rowToCredential);
  }

  async count(status: CredentialStatus): Promise<number> {
    const r = await this.db.selectFrom('client_credentials').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', status).executeTakeFirst();
    return Number(r?.n ?? 0);
  }
}
