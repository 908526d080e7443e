// Fleet-wide settings as stored (migration 0005): one JSON value per key. Reached as store.settings.
import type { Kysely } from 'kysely';
import type { FleetSettings } from '../../core/wire';
import type { Database } from './schema';

export class FleetSettingsRecords {
  constructor(private readonly db: Kysely<Database>) {}

  async get(): Promise<FleetSettings> {
    const rows = await this.db.selectFrom('fleet_settings').select(['key', 'value']).execute();
    const byKey = new Map(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]));
    const min = byKey.get('minimumAutoUpgradeVersion');
    return { minimumAutoUpgradeVersion: typeof min === 'string' ? min : null };
  }

  async put(s: FleetSettings): Promise<void> {
    const value = JSON.stringify(s.minimumAutoUpgradeVersion);
    await this.db.insertInto('fleet_settings').values({ key: 'minimumAutoUpgradeVersion', value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
  }
}
