// PostgreSQL keeps a dead version of a counts row at every update, and within one transaction (a bulk import, a
// restore: every client inserted moves a count) none can go before it ends: the table grows by pages, and after
// the vacuum it keeps them, its few live rows at its end. The fleet's figures must still cost what its live rows
// cost, not what the table once grew to (migration 0010; store.counts.all). SQLite updates in place.
import assert from 'node:assert/strict';
import pg from 'pg';
import { CompiledQuery } from 'kysely';
import { startTestServer, type TestServer } from '../helpers/server';

describe('counts table grown by dead row versions (PostgreSQL)', function () {
  this.timeout(120_000);
  let s: TestServer;
  before(async function () {
    s = await startTestServer({ demo: true });
    if (!s.postgresUrl) this.skip();
  });
  after(async () => { await s?.close(); });

  it('is compact and vacuumed early, and the figures read only the pages of live rows', async () => {
    const db = s.server.fleet.store.db;
    const options = await db.executeQuery<{ reloptions: string[] }>(CompiledQuery.raw("SELECT reloptions FROM pg_class WHERE relname = 'client_counts'"));
    assert.ok(options.rows[0].reloptions.includes('fillfactor=50'), String(options.rows[0].reloptions));
    // One long writing transaction, as an import's, then the vacuum that autovacuum would run.
    const other = new pg.Client({ connectionString: s.postgresUrl });
    await other.connect();
    try {
      await other.query('BEGIN');
      for (let i = 0; i < 2500; i++) await other.query('UPDATE client_counts SET n = n + 0');
      await other.query('COMMIT');
      await other.query('VACUUM client_counts');
    } finally {
      await other.end();
    }
    const live = await db.executeQuery<{ n: number }>(CompiledQuery.raw('SELECT count(*)::int AS n FROM client_counts WHERE n > 0'));
    const size = await db.executeQuery<{ pages: number }>(CompiledQuery.raw("SELECT (pg_relation_size('client_counts') / current_setting('block_size')::int)::int AS pages"));
    const pages = size.rows[0].pages;
    assert.ok(pages >= 200, `the table grew: ${pages} pages for ${live.rows[0].n} live rows`);
    // The store's own query, as it runs: the pages it touches, against the table's.
    const { sql: text, parameters } = s.server.fleet.store.counts.query().compile();
    const plan = await db.executeQuery<{ 'QUERY PLAN': Array<{ Plan: { 'Shared Hit Blocks': number; 'Shared Read Blocks': number } }> }>(
      CompiledQuery.raw(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${text}`, [...parameters]));
    const top = plan.rows[0]['QUERY PLAN'][0].Plan;
    const touched = top['Shared Hit Blocks'] + top['Shared Read Blocks'];
    assert.ok(touched < pages / 4, `the figures touched ${touched} pages of a ${pages}-page table`);
    assert.equal((await s.server.fleet.store.counts.all()).length, live.rows[0].n);
  });
});
