// Client groups as stored: name (unique in any case, by its lower-cased key), description and policy (JSON).
// Reached as store.groups; what a policy decides is core's.
import type { Kysely, Selectable } from 'kysely';
import type { Group, Policy } from '../../core/types';
import type { Database, GroupTable } from './schema';

function rowToGroup(r: Selectable<GroupTable>): Group {
  return { id: r.id, name: r.name, description: r.description, policy: JSON.parse(r.policy) as Policy };
}

export class GroupRecords {
  constructor(private readonly db: Kysely<Database>) {}

  /** Every group, by name in any case. */
  async list(): Promise<Group[]> {
    const rows = await this.db.selectFrom('groups').selectAll().orderBy('name_key').execute();
    return rows.map(rowToGroup);
  }

  async insert(g: Group, at: string): Promise<void> {
    await this.db.insertInto('groups').values({
      id: g.id, name: g.name, name_key: g.name.toLowerCase(), description: g.description, policy: JSON.stringify(g.policy), created_at: at,
    }).execute();
  }

  async updatePolicy(groupId: string, policy: Policy): Promise<void> {
    await this.db.updateTable('groups').set({ policy: JSON.stringify(policy) }).where('id', '=', groupId).execute();
  }
}
