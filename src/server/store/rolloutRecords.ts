// One release's rollout in one group as stored (migration 0006): halted, paused, resumed or promoted, by whom and
// when. Reached as store.rollouts; whether a rollout halts is core's (rollout.ts), the rows only record it.
import type { Kysely } from 'kysely';
import type { RolloutRecord, RolloutState } from '../../core/rollout';
import type { Database } from './schema';

export class RolloutRecords {
  constructor(private readonly db: Kysely<Database>) {}

  /** Every recorded rollout: one row per release and group that was halted, paused, resumed or promoted. */
  async list(): Promise<RolloutRecord[]> {
    const rows = await this.db.selectFrom('rollouts').selectAll().execute();
    return rows.map((r) => ({
      releaseId: r.release_id, groupId: r.group_id, state: r.state as RolloutState, reason: r.reason, at: r.at, by: r.by,
      baseAttempted: Number(r.base_attempted), baseFailed: Number(r.base_failed), promotedAt: r.promoted_at,
    }));
  }

  /**
   * Move one rollout to `to`, only from one of the states in `from` (a missing row counts as running). True when
   * this call changed it: with several server processes, only one records a halt and writes its audit entry.
   */
  async setState(releaseId: string, groupId: string, from: readonly RolloutState[], to: { state: RolloutState; reason: string | null; at: string; by: string; base?: { attempted: number; failed: number } }): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await tx.insertInto('rollouts')
        .values({ release_id: releaseId, group_id: groupId, state: 'running', reason: null, at: to.at, by: to.by, base_attempted: 0, base_failed: 0, promoted_at: null })
        .onConflict((oc) => oc.columns(['release_id', 'group_id']).doNothing())
        .execute();
      const r = await tx.updateTable('rollouts')
        .set({ state: to.state, reason: to.reason, at: to.at, by: to.by, ...(to.base ? { base_attempted: to.base.attempted, base_failed: to.base.failed } : {}) })
        .where('release_id', '=', releaseId).where('group_id', '=', groupId).where('state', 'in', [...from])
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    });
  }

  /** Record that a ring promoted the release to the group; true when this call did (not already promoted). */
  async promote(releaseId: string, groupId: string, at: string, by: string): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await tx.insertInto('rollouts')
        .values({ release_id: releaseId, group_id: groupId, state: 'running', reason: null, at, by, base_attempted: 0, base_failed: 0, promoted_at: null })
        .onConflict((oc) => oc.columns(['release_id', 'group_id']).doNothing())
        .execute();
      const r = await tx.updateTable('rollouts').set({ promoted_at: at })
        .where('release_id', '=', releaseId).where('group_id', '=', groupId).where('promoted_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    });
  }
}
