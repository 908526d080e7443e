// API tokens' rows: a name, a role and the sha256 of the token (the token itself is shown once, never stored).
import type { Kysely } from 'kysely';
import type { Database } from './schema';

export interface TokenRecord {
  id: string;
  name: string;
  role: string;
  createdAt: string;
}

export class Tokens {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(t: TokenRecord & { hash: string }): Promise<void> {
    await this.db.insertInto('tokens').values({ id: t.id, name: t.name, role: t.role, hash: t.hash, created_at: t.createdAt }).execute();
  }

  async findByHash(hash: string): Promise<TokenRecord | undefined> {
    const r = await this.db.selectFrom('tokens').select(['id', 'name', 'role', 'created_at']).where('hash', '=', hash).executeTakeFirst();
    return r ? { id: r.id, name: r.name, role: r.role, createdAt: r.created_at } : undefined;
  }

  async list(): Promise<TokenRecord[]> {
    const rows = await this.db.selectFrom('tokens').select(['id', 'name', 'role', 'created_at']).orderBy('created_at').execute();
    return rows.map((r) => ({ id: r.id, name: r.name, role: r.role, createdAt: r.created_at }));
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('tokens').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async deleteByName(name: string, role: string): Promise<void> {
    await this.db.deleteFrom('tokens').where('name', '=', name).where('role', '=', role).execute();
  }
}
