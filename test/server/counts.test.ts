// The counts table (kept by triggers) against a full GROUP BY over clients, after random churn through every kind
// of client write: bulk insert, check-ins and reports over HTTP, moves, raw updates and deletes by another tool.
// Runs on SQLite and, in the PostgreSQL pass, on PostgreSQL.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { seededRandom } from '../../src/core/prng';
import { CLIENT_HEALTHS, type Client, type ClientHealth, type ClientState } from '../../src/core/types';
import { clientHealth } from '../../src/core/health';
import { startTestServer, type TestServer } from '../helpers/server';
import { checkinBody, client, enrolledAgent } from '../helpers/http';

const STATES: ClientState[] = ['up-to-date', 'downloading', 'staged', 'failed', 'deferred', 'installed-pending-restart', 'waiting', 'available'];
const VERSIONS = ['1.0.0', '1.1.0', '2.0.0', '2.1.0-beta.1'];

async function groupByCounts(s: TestServer): Promise<string[]> {
  const rows = await s.server.fleet.store.db.selectFrom('clients')
    .select(['group_id', 'version', 'state', sql<string>`coalesce(target_version, '')`.as('target'), (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['group_id', 'version', 'state', sql`coalesce(target_version, '')`]).execute();
  return rows.map((r) => `${r.group_id}|${r.version}|${r.state}|${r.target}=${Number(r.n)}`).sort();
}

async function tableCounts(s: TestServer): Promise<string[]> {
  const rows = await s.server.fleet.store.counts.all();
  return rows.map((r) => `${r.groupId}|${r.version}|${r.state}|${r.targetVersion ?? ''}=${r.count}`).sort();
}

/** The health of every client, one by one (a scan: the test's oracle, never the server's way). */
async function healthByScan(s: TestServer, groupId?: string): Promise<Record<ClientHealth, number>> {
  const fleet = s.server.fleet;
  const [groups, releases, facts] = await Promise.all([fleet.allGroups(), fleet.allReleases(), fleet.counts.facts()]);
  const now = new Date();
  const out = Object.fromEntries(CLIENT_HEALTHS.map((h) => [h, 0])) as Record<ClientHealth, number>;
  for await (const batch of fleet.store.clientQueries.iterateClients(groupId ? { groupId } : {})) {
    for (const c of batch) {
      const g = groups.find((x) => x.id === c.groupId)!;
      out[clientHealth(c, { policy: g.policy, releases, now, facts }, fleet.counts.notSeenDays).health]++;
    }
  }
  return out;
}

describe('fleet counts kept by triggers', function () {
  this.timeout(120_000);
  let s: TestServer;
  before(async () => { s = await startTestServer(); });
  after(async () => { await s.close(); });

  it('equal a full GROUP BY after random inserts, check-ins, reports, moves, raw updates and deletes', async () => {
    const admin = client(s.url, s.adminToken);
    // The bulk rows have no credentials: their first enrollment is held for an administrator, who accepts it.
    const agent = enrolledAgent(s.url, s.enrollToken, { admitWith: s.adminToken });
    for (const name of ['Pilot', 'Office']) assert.equal((await admin.post('/api/v1/groups', { name, policy: { mode: 'auto' } })).status, 201);
    for (const v of ['1.1.0', '2.0.0']) {
      await admin.post('/api/v1/releases', { version: v });
      await admin.raw('PUT', `/api/v1/releases/${v}/artifact`, { body: Buffer.from(`pkg ${v}`), headers: { 'content-type': 'application/octet-stream' } });
      await admin.post(`/api/v1/releases/${v}/approve`);
    }
    const store = s.server.fleet.store;
    const rnd = seededRandom(20261125);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const groups = ['default', 'pilot', 'office'];
    const now = new Date().toISOString();
    // A bulk import, as a restore or the benchmark's seeding writes rows.
    const bulk: Client[] = Array.from({ length: 300 }, (_, i) => ({
      id: `bulk-${i}`, name: `Bulk ${i}`, computer: `BULK-${i}`, ip: '10.1.0.1', user: 'u', groupId: pick(groups), version: pick(VERSIONS),
      state: pick(STATES), targetVersion: rnd() < 0.5 ? pick(VERSIONS) : null, reason: null, deferredUntil: null, lastSeen: now,
    }));
    await store.insertClients(bulk);
    assert.deepEqual(await tableCounts(s), await groupByCounts(s), 'after the bulk insert');
    const ids = bulk.map((c) => c.id);
    for (let step = 0; step < 400; step++) {
      const r = rnd();
      if (r < 0.3) {
        const id = rnd() < 0.3 ? `new-${step}` : pick(ids);
        if (!ids.includes(id)) ids.push(id);
        const res = await agent.post('/agent/v1/checkin', checkinBody(id, pick(VERSIONS), { state: pick(STATES) }));
        assert.equal(res.status, 200, res.text);
      } else if (r < 0.55) {
        const res = await agent.post('/agent/v1/report', { clientId: pick(ids), state: pick(STATES), version: pick(VERSIONS), targetVersion: rnd() < 0.5 ? pick(VERSIONS) : null, reason: 'churn' });
        assert.ok(res.status === 200 || res.status === 404, res.text);
      } else if (r < 0.7) {
        const res = await admin.patch(`/api/v1/clients/${pick(ids)}`, { groupId: pick(groups) });
        assert.ok(res.status === 200 || res.status === 404, res.text);
      } else if (r < 0.85) {
        // Another tool writing rows directly.
        await store.db.updateTable('clients').set({ state: pick(STATES), version: pick(VERSIONS), target_version: rnd() < 0.5 ? null : pick(VERSIONS) }).where('id', '=', pick(ids)).execute();
      } else if (r < 0.95) {
        await store.db.deleteFrom('clients').where('id', '=', pick(ids)).execute();
      } else {
        // Several rows in one statement and one transaction.
        await store.db.transaction().execute(async (tx) => {
          await tx.updateTable('clients').set({ group_id: pick(groups) }).where('version', '=', pick(VERSIONS)).execute();
          await tx.updateTable('clients').set({ state: 'failed' }).where('group_id', '=', pick(groups)).where('state', '=', pick(STATES)).execute();
        });
      }
      if (step % 50 === 49) assert.deepEqual(await tableCounts(s), await groupByCounts(s), `after step ${step}`);
    }
    assert.deepEqual(await tableCounts(s), await groupByCounts(s), 'at the end');
    // And the figures the console reads agree with them.
    const summary = (await admin.get('/api/v1/summary')).body;
    const total = (await store.db.selectFrom('clients').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst())!.n;
    assert.equal(summary.overall.total, Number(total));
    const failed = (await store.db.selectFrom('clients').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'failed').executeTakeFirst())!.n;
    assert.equal(summary.overall.byState.failed ?? 0, Number(failed));
    // Health from the counts (and the worker's not-seen count) equals classifying every client on its own.
    assert.deepEqual(summary.overall.byHealth, await healthByScan(s));
  });

  it('health: not seen after the days given, back at its next check-in, still not seen in its new group after a move', async () => {
    const store = s.server.fleet.store;
    const admin = client(s.url, s.adminToken);
    const agent = enrolledAgent(s.url, s.enrollToken, { admitWith: s.adminToken });
    const long = new Date(Date.now() - 10 * 86_400_000).toISOString();
    const ids = (await store.db.selectFrom('clients').select('id').orderBy('id').limit(40).execute()).map((r) => r.id);
    // Another tool (or time) leaves 40 clients unseen for 10 days; the default is 7.
    await store.db.updateTable('clients').set({ last_seen: long }).where('id', 'in', ids).execute();
    await s.server.fleet.counts.notSeen.refresh();
    let summary = (await admin.get('/api/v1/summary')).body;
    assert.equal(summary.overall.byHealth['not-seen'], 40);
    assert.deepEqual(summary.overall.byHealth, await healthByScan(s));
    assert.equal(summary.overall.seen, summary.overall.total - 40);
    // One checks in: it is seen at once, before the next count.
    assert.equal((await agent.post('/agent/v1/checkin', checkinBody(ids[0]!, '2.0.0'))).status, 200);
    // One is moved while unseen: it stays unseen, in its new group.
    const moved = await store.getClient(ids[1]!);
    const to = moved!.groupId === 'pilot' ? 'office' : 'pilot';
    assert.equal((await admin.patch(`/api/v1/clients/${ids[1]}`, { groupId: to })).status, 200);
    summary = (await admin.get('/api/v1/summary')).body;
    assert.equal(summary.overall.byHealth['not-seen'], 39);
    assert.deepEqual(summary.overall.byHealth, await healthByScan(s));
    for (const g of ['default', 'pilot', 'office']) assert.deepEqual(summary.byGroup[g].byHealth, await healthByScan(s, g), `group ${g}`);
  });

  it('a transaction that is rolled back leaves the counts as they were', async () => {
    const store = s.server.fleet.store;
    const before = await tableCounts(s);
    await assert.rejects(store.db.transaction().execute(async (tx) => {
      await tx.updateTable('clients').set({ state: 'staged' }).execute();
      throw new Error('abort');
    }));
    assert.deepEqual(await tableCounts(s), before);
    assert.deepEqual(await tableCounts(s), await groupByCounts(s));
  });
});
