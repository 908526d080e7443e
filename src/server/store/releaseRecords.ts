// Releases as stored: one row each, the artifact's fields as columns, the transitions as JSON. Reached as
// store.releases; what a release may do next is core's (lifecycle.ts), the rows only hold it.
import type { Kysely, Selectable } from 'kysely';
import type { Release, ReleaseState, ReleaseTransition } from '../../core/types';
import type { Database, ReleaseTable } from './schema';

function rowToRelease(r: Selectable<ReleaseTable>): Release {
  return {
    id: r.id,
    version: r.version,
    channel: r.channel === 'beta' ? 'beta' : 'stable',
    notes: r.notes,
    mandatory: !!r.mandatory,
    artifact: {
      ...(r.url ? { url: r.url } : {}),
      ...(r.size !== null && r.size !== undefined ? { size: Number(r.size) } : {}),
      ...(r.sha256 ? { sha256: r.sha256 } : {}),
      ...(r.signature ? { signature: r.signature } : {}),
    },
    state: r.state as ReleaseState,
    createdAt: r.created_at,
    createdBy: r.created_by,
    transitions: JSON.parse(r.transitions) as ReleaseTransition[],
    ...(r.rollback_to ? { rollbackTo: r.rollback_to } : {}),
  };
}

function releaseToRow(r: Release): ReleaseTable {
  return {
    id: r.id,
    version: r.version,
    channel: r.channel,
    notes: r.notes,
    mandatory: r.mandatory ? 1 : 0,
    url: r.artifact.url ?? null,
    size: r.artifact.size ?? null,
    sha256: r.artifact.sha256 ?? null,
    signature: r.artifact.signature ?? null,
    state: r.state,
    created_at: r.createdAt,
    created_by: r.createdBy,
    transitions: JSON.stringify(r.transitions),
    rollback_to: r.rollbackTo ?? null,
  };
}

export class ReleaseRecords {
  constructor(private readonly db: Kysely<Database>) {}

  async list(): Promise<Release[]> {
    const rows = await this.db.selectFrom('releases').selectAll().execute();
    return rows.map(rowToRelease);
  }

  async insert(r: Release): Promise<void> {
    await this.db.insertInto('releases').values(releaseToRow(r)).execute();
  }

  /** The whole row as the release now is (its state and transitions, a new artifact, a rollback's target). */
  async update(r: Release): Promise<void> {
    const { id, ...rest } = releaseToRow(r);
    await this.db.updateTable('releases').set(rest).where('id', '=', id).execute();
  }
}
