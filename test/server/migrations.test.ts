// Migration 0005 on a database written by the version before it: the groups' minimum auto-upgrade versions become
// one fleet-wide setting (the highest, so nobody who needed a manual install is now forced), the policies lose the
// field, and the audit log's filters get their indexes. SQLite here, PostgreSQL in the PostgreSQL pass.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { withPolicyDefaults } from '../../src/core';
import { InCodeMigrations } from '../../src/server/store/migrations';
import { FleetStore } from '../../src/server/store/store';
import { freshPostgresDatabase, POSTGRES_URL } from '../helpers/server';

describe('migration 0005: the minimum auto-upgrade version goes fleet-wide; audit indexes', function () {
  this.timeout(60_000);
  let dir: string;
  let dropPg: (() => Promise<void>) | undefined;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'uf-mig-')); });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await dropPg?.();
    dropPg = undefined;
  });

  it('keeps the data: the highest group minimum becomes the fleet setting, and the policies lose the field', async () => {
    let open: () => Promise<FleetStore>;
    let db: Kysely<unknown>;
    if (POSTGRES_URL) {
      const fresh = await freshPostgresDatabase();
      dropPg = fresh.drop;
      db = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: fresh.url, max: 1 }) }) });
      open = () => FleetStore.open({ postgresUrl: fresh.url });
    } else {
      const file = join(dir, 'fleet.db');
      db = new Kysely({ dialect: new SqliteDialect({ database: new BetterSqlite3(file) }) });
      open = () => FleetStore.open({ sqliteFile: file });
    }
    // The database as the version before 0005 left it.
    const r = await new Migrator({ db, provider: new InCodeMigrations(POSTGRES_URL ? 'postgres' : 'sqlite') }).migrateTo('0003_pg_client_search');
    assert.equal(r.error, undefined);
    const groups: Array<[string, Record<string, unknown>]> = [
      ['office', { ...withPolicyDefaults({ mode: 'pinned', pinnedVersion: '3.59.127.0' }), minimumAutoUpgradeVersion: '1.2.3' }],
      ['pilot', { ...withPolicyDefaults({ mode: 'auto' }), minimumAutoUpgradeVersion: '1.10.0' }],
      ['warehouse', { ...withPolicyDefaults({ mode: 'auto' }), minimumAutoUpgradeVersion: null }],
      ['default', { ...withPolicyDefaults({}) }],
    ];
    for (const [id, policy] of groups) {
      await sql`INSERT INTO groups (id, name, name_key, description, policy, created_at) VALUES (${id}, ${id}, ${id}, '', ${JSON.stringify(policy)}, '2026-01-01T00:00:00Z')`.execute(db);
    }
    await db.destroy();

    const store = await open();
    try {
      assert.deepEqual(await store.settings.get(), { minimumAutoUpgradeVersion: '1.10.0' }, 'the highest, compared as versions (1.10.0 > 1.2.3)');
      for (const g of await store.groups.list()) {
        assert.equal('minimumAutoUpgradeVersion' in g.policy, false, g.id);
        assert.equal(g.policy.mode, groups.find(([id]) => id === g.id)![1].mode, 'the rest of the policy is kept');
      }
      // Each audit filter is answered from an index.
      const plans = POSTGRES_URL
        ? (await sql<{ indexname: string }>`SELECT indexname FROM pg_indexes WHERE tablename = 'audit'`.execute(store.db)).rows.map((x) => x.indexname)
        : (await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit'`.execute(store.db)).rows.map((x) => x.name);
      for (const index of ['audit_actor', 'audit_action', 'audit_target', 'audit_at']) assert.ok(plans.includes(index), `${index} in ${plans.join(', ')}`);
      if (!POSTGRES_URL) {
        for (const [where, index] of [['actor = ?', 'audit_actor'], ["action >= ? AND action < ?", 'audit_action'], ['target = ?', 'audit_target']] as const) {
          const plan = (await sql<{ detail: string }>`EXPLAIN QUERY PLAN SELECT * FROM audit WHERE ${sql.raw(where.replace(/\?/g, "'x'"))} ORDER BY id DESC LIMIT 100`.execute(store.db)).rows.map((x) => x.detail).join(' / ');
          assert.match(plan, new RegExp(index), plan);
        }
      }
    } finally {
      await store.close();
    }
  });
});
