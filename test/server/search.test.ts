// Keyword search at any fleet size answers what a literal, case-insensitive substring test over name, computer, IP
// and last user answers — whichever way the server finds the rows (walking the order, the trigram index, or the
// worker for 1–2 characters) — and a broad term's total stops at the cap ("10,000+").
import assert from 'node:assert/strict';
import { seededRandom } from '../../src/core/prng';
import type { Client } from '../../src/core/types';
import { TOTAL_CAP } from '../../src/server/clientSearch';
import { startTestServer, type TestServer } from '../helpers/server';
import { client } from '../helpers/http';

describe('keyword search over a large fleet', function () {
  this.timeout(180_000);
  let s: TestServer;
  const fleet: Client[] = [];
  before(async () => {
    s = await startTestServer();
    const rnd = seededRandom(4242);
    const words = ['alpha', 'Beta', 'gamma_1', '100%', 'x', 'Zeta-9', 'ÉCOLE', 'o\'hara'];
    const now = new Date().toISOString();
    for (let i = 0; i < TOTAL_CAP + 600; i++) {
      const rare = i % 997 === 0 ? ' Needle' : '';
      fleet.push({
        id: `c-${String(i).padStart(6, '0')}`, name: `Client ${words[Math.floor(rnd() * words.length)]} ${i}${rare}`,
        computer: `WS-${String((i * 7919) % 100_003).padStart(6, '0')}`, ip: `10.${(i >> 8) & 255}.${i & 255}.${i % 7}`,
        user: i % 3 === 0 ? 'name.one' : `u${i % 50}`, groupId: 'default', version: i % 997 === 0 ? '0.9.0' : i % 2 ? '1.0.0' : '2.0.0',
        state: i % 10 === 0 ? 'failed' : 'up-to-date', targetVersion: null, reason: null, deferredUntil: null, lastSeen: now,
      });
    }
    await s.server.fleet.store.insertClients(fleet);
  });
  after(async () => { await s?.close(); });

  const matches = (c: Client, q: string) => [c.name, c.computer, c.ip, c.user].some((v) => v.toLowerCase().includes(q.toLowerCase()));

  async function all(query: string): Promise<{ ids: string[]; total?: number; capped?: boolean }> {
    const admin = client(s.url, s.adminToken);
    const ids: string[] = [];
    let cursor: string | undefined;
    let first: { total?: number; totalCapped?: boolean } | undefined;
    do {
      const r = await admin.get(`/api/v1/clients?${query}&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(r.status, 200, r.text);
      first ??= r.body;
      ids.push(...r.body.items.map((c: Client) => c.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    return { ids, total: first!.total, capped: first!.totalCapped };
  }

  const cases: Array<[string, string, (c: Client) => boolean]> = [
    ['broad term', 'name', (c) => matches(c, 'name')],
    ['selective term', 'needle', (c) => matches(c, 'needle')],
    ['literal % and _', '100%', (c) => matches(c, '100%')],
    ['underscore is no wildcard', 'a_1', (c) => matches(c, 'a_1')],
    ['two characters', 'ws', (c) => matches(c, 'ws')],
    ['one rare character', 'é', (c) => matches(c, 'é')],
    ['a quote', 'o\'h', (c) => matches(c, 'o\'h')],
    ['term and state', 'beta&state=failed', (c) => matches(c, 'beta') && c.state === 'failed'],
    // Within a group: a text nearly every client holds (PostgreSQL counts it by walking the group, from its sample),
    // one a third hold (the walk reaches the group's end: an exact total), and a rare one (the trigram index).
    ['a broad term in a group', 'client&group=default', (c) => matches(c, 'client')],
    ['a term a third of a group holds', 'name&group=default', (c) => matches(c, 'name')],
    ['a rare term in a group', 'needle&group=default', (c) => matches(c, 'needle')],
    ['nothing', 'no-such-text', () => false],
    // PostgreSQL stores punctuation spelled in letters for its trigram index ("." → "zqd"): dotted and dashed
    // terms, and a spelling typed as text, still mean only what they say.
    ['dots', '.1.', (c) => matches(c, '.1.')],
    ['dash and digit', 'zeta-9', (c) => matches(c, 'zeta-9')],
    ['a spelling typed as text', 'zqd', (c) => matches(c, 'zqd')],
    ['a space inside', 'client beta 1', (c) => matches(c, 'client beta 1')],
    // The end of one field and the start of the next ("… Needle" then "WS-…") are no match: fields never join.
    ['across two fields', 'needlews', () => false],
  ];
  for (const [what, q, pred] of cases) {
    it(`${what}: the same clients as a literal substring test, in (computer, id) order`, async () => {
      const [text, ...rest] = q.split('&');
      const got = await all(`q=${encodeURIComponent(text)}${rest.length ? '&' + rest.join('&') : ''}`);
      const want = fleet.filter(pred).sort((a, b) => (a.computer < b.computer ? -1 : a.computer > b.computer ? 1 : a.id < b.id ? -1 : 1)).map((c) => c.id);
      assert.deepEqual(got.ids, want);
      if ([...text].length >= 3) {
        if (want.length > TOTAL_CAP) assert.deepEqual([got.total, got.capped], [TOTAL_CAP, true], 'a broad total is capped');
        else assert.deepEqual([got.total, got.capped], [want.length, undefined], 'an exact total below the cap');
      }
    });
  }

  // State and version have no index (a check-in would move their entries): the counts tell how dense a filter is,
  // and the server walks as far as that needs, or lets the worker find a rare one.
  const byColumns: Array<[string, string, (c: Client) => boolean]> = [
    ['a dense version', 'version=1.0.0', (c) => c.version === '1.0.0'],
    ['a state of one client in ten', 'state=failed', (c) => c.state === 'failed'],
    ['a rare version', 'version=0.9.0', (c) => c.version === '0.9.0'],
    ['state and version', 'state=failed&version=2.0.0', (c) => c.state === 'failed' && c.version === '2.0.0'],
    ['a version nobody runs', 'version=7.0.0', () => false],
    ['a rare version and a text', 'version=0.9.0&q=needle', (c) => c.version === '0.9.0' && matches(c, 'needle')],
  ];
  for (const [what, query, pred] of byColumns) {
    it(`${what}: the same clients as a test of every row, in (computer, id) order, with the exact total`, async () => {
      const got = await all(query);
      const want = fleet.filter(pred).sort((a, b) => (a.computer < b.computer ? -1 : a.computer > b.computer ? 1 : a.id < b.id ? -1 : 1)).map((c) => c.id);
      assert.deepEqual(got.ids, want);
      assert.equal(got.total, want.length);
    });
  }

  it('the CSV report filtered by a text beyond ASCII holds the same clients (the worker folds it as the server does)', async () => {
    const r = await client(s.url, s.adminToken).get(`/api/v1/reports/clients.csv?q=${encodeURIComponent('é')}`);
    assert.equal(r.status, 200, r.text);
    const computers = r.text.trim().split('\n').slice(1).map((line) => line.split(',')[0]).sort();
    assert.deepEqual(computers, fleet.filter((c) => matches(c, 'é')).map((c) => c.computer).sort());
    assert.ok(computers.length > 0);
  });

  it('a client renamed by any means (here a raw UPDATE) is found by its new name only', async () => {
    const renamed = fleet.find((c) => c.id === 'c-000000')!;
    assert.ok(matches(renamed, 'needle'));
    await s.server.fleet.store.db.updateTable('clients').set({ name: 'Client Quokka-7.0' }).where('id', '=', renamed.id).execute();
    renamed.name = 'Client Quokka-7.0';
    assert.deepEqual((await all('q=quokka-7.')).ids, [renamed.id]);
    const needles = await all('q=needle');
    assert.ok(!needles.ids.includes(renamed.id));
    assert.equal(needles.ids.length, fleet.filter((c) => matches(c, 'needle')).length);
  });

  it('totals without text come from the counts, exact at any size', async () => {
    const r = await client(s.url, s.adminToken).get('/api/v1/clients?state=failed&limit=5');
    assert.equal(r.body.total, fleet.filter((c) => c.state === 'failed').length + 0);
  });
});
