// The policy preview counts a group by classes (on SQLite the database groups the clients itself, with the rollout
// hash and the deferral as query functions): its counts must be what decide() — the check-in's function — gives
// each client one by one, with rollout percentages, deferrals running, ended or unreadable, and many versions.
import assert from 'node:assert/strict';
import { decide, emptyPreviewCounts, PreviewTally, seededRandom, withPolicyDefaults, type Release } from '../../src/core';
import type { Client } from '../../src/core/types';
import { tallyLargeGroupOnPostgres } from '../../src/server/heavy/previewPostgres';
import { startTestServer, type TestServer } from '../helpers/server';
import { client } from '../helpers/http';

describe('policy preview of a group, against decide() per client', function () {
  this.timeout(120_000);
  let s: TestServer;
  const fleet: Client[] = [];
  const versions = ['1.2.2', '3.58.0.0', '3.59.127.0', '3.59.228.0', '4.0.0-beta.1', '2.0.0'];
  before(async () => {
    // Split from 1,000 rows on: the group is also read in two halves on two threads, as a large fleet's is.
    s = await startTestServer({ server: { previewSplitAbove: 1_000 } });
    const admin = client(s.url, s.adminToken);
    for (const [i, v] of versions.entries()) {
      const r = await admin.post('/api/v1/releases', { version: v, url: `https://packages.example/p-${i}.tar.gz`, sha256: String(i).repeat(64) });
      assert.equal(r.status, 201, r.text);
    }
    for (const v of ['3.58.0.0', '3.59.127.0', '3.59.228.0']) assert.equal((await admin.post(`/api/v1/releases/${v}/approve`)).status, 200);
    assert.equal((await admin.post('/api/v1/groups', { name: 'Big' })).status, 201);
    // Under a tenth of the fleet: read along the group's index, not by a scan of the table.
    assert.equal((await admin.post('/api/v1/groups', { name: 'Small' })).status, 201);
    const rnd = seededRandom(99);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const soon = new Date(Date.now() + 86_400_000).toISOString();
    for (let i = 0; i < 3_000; i++) {
      fleet.push({
        id: `pv-${i}`, name: `n${i}`, computer: `PV-${i}`, ip: '10.0.0.1', user: 'u', groupId: i % 25 === 1 ? 'small' : i % 5 === 0 ? 'default' : 'big',
        version: pick([...versions, '0.9.0']), state: 'up-to-date', targetVersion: null, reason: null,
        deferredUntil: pick([null, null, null, '2020-01-01T00:00:00.000Z', soon, 'not a date']), lastSeen: new Date().toISOString(),
      });
    }
    // Ids another tool may have written (the API refuses them): a tab or a line break inside a value must not shift
    // what a database's text of a range of clients says (PostgreSQL reads a large group that way).
    for (const [i, id] of ['pv-tab\tx', 'pv-line\ny', 'pv-both\t\n', '\n', 'pv-cr\r\nz'].entries()) {
      fleet.push({ ...fleet[i * 5 + 2], id, computer: `PV-odd-${i}`, groupId: 'big', deferredUntil: i % 2 ? soon : null });
    }
    await s.server.fleet.store.insertClients(fleet);
  });
  after(async () => { await s?.close(); });

  for (const [what, url] of [
    ['in many ranges, on two connections that share one snapshot', () => s.postgresUrl!],
    // Nothing listens on port 1: the second connection fails at once, as one over max_connections would.
    ['with the second connection refused: the first reads every range', () => 'postgres://nobody:none@127.0.0.1:1/none'],
  ] as const) {
    it(`PostgreSQL, a large group ${what}`, async function () {
      if (!s.postgresUrl) this.skip();
      const policy = withPolicyDefaults({ mode: 'auto', rolloutPercent: 50 });
      const releases = await s.server.fleet.allReleases();
      const now = new Date();
      const tally = new PreviewTally(policy, releases, now, { outcomesByRelease: {} });
      // Ranges of one page: the test's table is read in about two dozen of them.
      await tallyLargeGroupOnPostgres(s.server.fleet.store.db, url(), 'big', tally, 1);
      const want = emptyPreviewCounts();
      const members = fleet.filter((c) => c.groupId === 'big');
      for (const c of members) want[decide(c, policy, releases, now, { outcomesByRelease: {} }).action]++;
      assert.equal(tally.total, members.length);
      assert.deepEqual(tally.counts, want);
    });
  }

  for (const [what, partial] of [
    ['auto, forced, 33.3% rollout', { mode: 'auto', delivery: 'forced', rolloutPercent: 33.3 }],
    ['auto, on demand, 50% rollout', { mode: 'auto', rolloutPercent: 50 }],
    ['pinned with downgrade, 10% rollout', { mode: 'pinned', pinnedVersion: '3.58.0.0', allowDowngrade: true, delivery: 'forced', rolloutPercent: 10 }],
    ['auto, everyone', { mode: 'auto', delivery: 'forced', rolloutPercent: 100 }],
  ] as const) {
    it(`${what}: the counts decide() gives client by client, in a large group and a small one`, async () => {
      const admin = client(s.url, s.adminToken);
      const policy = withPolicyDefaults(partial);
      for (const group of ['big', 'small']) {
        const r = await admin.post(`/api/v1/groups/${group}/policy/preview`, policy);
        assert.equal(r.status, 200, r.text);
        const releases = (await admin.get('/api/v1/releases')).body.items as Release[];
        const now = new Date();
        const want = emptyPreviewCounts();
        const members = fleet.filter((c) => c.groupId === group);
        for (const c of members) want[decide(c, policy, releases, now, { outcomesByRelease: {} }).action]++;
        assert.ok(group === 'big' ? members.length > 1_000 : members.length * 10 < fleet.length, group);
        assert.equal(r.body.total, members.length, group);
        assert.deepEqual(r.body.counts, want, group);
      }
    });
  }
});
