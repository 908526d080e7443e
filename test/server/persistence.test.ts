// Restart keeps everything; the CSV report parses back with csv-parse; the legacy check.ini bytes; the demo fleet.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { get } from 'node:http';
import { parse } from 'csv-parse/sync';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, checkinBody, client, enrolledAgent, fetchWithToken } from '../helpers/http';
import { withPolicyDefaults } from '../../src/core/policy';
import { csvHeader, csvRows } from '../../src/server/heavy/csvReport';

describe('restart keeps everything', function () {
  this.timeout(30_000);
  it('releases, artifacts, groups, policies, clients, history, audit and tokens survive a restart', async () => {
    let s: TestServer = await startTestServer();
    try {
      const admin = client(s.url, s.adminToken);
      await admin.post('/api/v1/releases', { version: '1.0.0' });
      await admin.raw('PUT', '/api/v1/releases/1.0.0/artifact', { body: Buffer.from('package'), headers: { 'content-type': 'application/octet-stream' } });
      await admin.post('/api/v1/releases/1.0.0/approve');
      await admin.post('/api/v1/groups', { name: 'Lab', policy: { mode: 'auto' } });
      const pc1 = await enrolledAgent(s.url, s.enrollToken).tokenFor('pc-1');
      await call(s.url, 'POST', '/agent/v1/checkin', { token: pc1, json: checkinBody('pc-1', '0.9.0') });
      await admin.patch('/api/v1/clients/pc-1', { groupId: 'lab' });
      const viewer = (await admin.post('/api/v1/tokens', { name: 'v', role: 'viewer' })).body.token;
      const snap = async (t: TestServer) => {
        const a = client(t.url, t.adminToken);
        return JSON.stringify([
          (await a.get('/api/v1/releases')).body, (await a.get('/api/v1/groups')).body, (await a.get('/api/v1/clients/pc-1')).body,
          (await a.get('/api/v1/audit')).body, (await a.get('/api/v1/tokens')).body,
        ]);
      };
      const before = await snap(s);
      s = await s.restart();
      assert.equal(await snap(s), before);
      assert.equal((await call(s.url, 'GET', '/api/v1/summary', { token: viewer })).status, 200, 'tokens survive');
      const sha = (await client(s.url, s.adminToken).get('/api/v1/releases/1.0.0')).body.artifact.sha256;
      assert.equal(await (await fetchWithToken(s.enrollToken)(`${s.url}/agent/v1/artifacts/${sha}`)).text(), 'package');
      const c = await call(s.url, 'POST', '/agent/v1/checkin', { token: pc1, json: checkinBody('pc-1', '0.9.0') });
      assert.equal(c.body.action, 'offer', 'the policy and the client\'s credential survived too');
    } finally {
      await s.close();
    }
  });
});

describe('CSV report', function () {
  this.timeout(20_000);
  let s: TestServer;
  before(async () => { s = await startTestServer(); });
  after(async () => s.close());

  it('streams every client with the seed 000 columns, failed ones with reasons, formula cells neutralised', async () => {
    const agent = enrolledAgent(s.url, s.enrollToken);
    await agent.post('/agent/v1/checkin', { clientId: 'evil', name: '=HYPERLINK("http://x","click")', computer: '+CMD', ip: '10.0.0.9', user: '@admin', version: '1.0.0' });
    await agent.post('/agent/v1/checkin', checkinBody('good', '1.0.0'));
    await agent.post('/agent/v1/report', { clientId: 'evil', state: 'failed', targetVersion: '2.0.0', reason: '-1+1 Disk full, "quoted", and a, comma' });
    const r = await fetch(`${s.url}/api/v1/reports/clients.csv`, { headers: { authorization: `Bearer ${s.adminToken}` } });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /text\/csv/);
    const rows = parse(await r.text(), { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(Object.keys(rows[0]), ['computer', 'name', 'ip', 'address', 'last user', 'group', 'version', 'target version', 'state', 'reason', 'last seen']);
    assert.equal(rows.length, 2);
    const evil = rows.find((x) => x.ip === '10.0.0.9')!;
    assert.equal(evil.name, `'=HYPERLINK("http://x","click")`);
    assert.equal(evil.computer, `'+CMD`);
    assert.equal(evil['last user'], `'@admin`);
    assert.equal(evil.reason, `'-1+1 Disk full, "quoted", and a, comma`);
    assert.equal(evil.group, 'Default');
    const failed = await fetch(`${s.url}/api/v1/reports/clients.csv?state=failed`, { headers: { authorization: `Bearer ${s.adminToken}` } });
    const frows = parse(await failed.text(), { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(frows.map((x) => x.state), ['failed']);
    assert.equal(frows[0]['target version'], '2.0.0');
  });

  it('writes many rows in chunks on two threads, in order, each exactly as csvRows writes it, odd cells included', async () => {
    // Rows written as an import would write them: the report, not the check-in, is under test. 12,500 rows are three
    // chunks of 5,000 (two written by the report's second thread); now and then a cell that the chunk's SQL cannot
    // write itself (a comma, a line break, a formula), so that chunk goes through csvRows.
    const now = new Date().toISOString();
    await client(s.url, s.adminToken).post('/api/v1/groups', { name: '=Lab, "east"' });
    await s.server.fleet.store.insertClients(Array.from({ length: 12_500 }, (_, i) => ({
      // Now and then a name beyond ASCII (two-, three- and four-byte UTF-8): each chunk is encoded on its own.
      id: `bulk-${i}`, name: i % 4999 === 7 ? `Client, ${i}` : i % 997 === 3 ? `Zoë Łódź 東京 🚀 ${i}` : `Client bulk-${i}`, computer: i === 9000 ? `=BULK-${i}` : `BULK-${String(i).padStart(5, '0')}`,
      ip: '10.0.0.1', user: 'j.doe', groupId: i % 3 ? 'default' : 'lab-east', version: '1.0.0',
      state: (i % 10 ? 'up-to-date' : 'failed') as 'up-to-date' | 'failed', targetVersion: i % 10 ? null : '2.0.0',
      reason: i % 10 ? null : i === 8000 ? 'two\nlines' : `Disk full, "C:" ${i}`, deferredUntil: null, lastSeen: now,
    })));
    const names = Object.fromEntries((await s.server.fleet.allGroups()).map((g) => [g.id, g.name]));
    const expected = async (filter: { state?: 'failed' }) => {
      const rows: unknown[][] = [];
      for await (const batch of s.server.fleet.store.clientQueries.iterateClients(filter, 1000)) {
        for (const c of batch) rows.push([c.computer, c.name, c.ip, c.address ?? null, c.user, names[c.groupId], c.version, c.targetVersion, c.state, c.reason, c.lastSeen]);
      }
      return csvHeader() + csvRows(rows);
    };
    const all = await (await fetch(`${s.url}/api/v1/reports/clients.csv`, { headers: { authorization: `Bearer ${s.adminToken}` } })).text();
    assert.equal((parse(all, { columns: true }) as unknown[]).length, 12_502);
    assert.ok(all === await expected({}), 'the whole report, byte for byte');
    assert.ok(all.includes(`'=Lab, ""east""`) && all.includes(`'=BULK-9000`) && all.includes('"two\nlines"'));
    const failed = await (await fetch(`${s.url}/api/v1/reports/clients.csv?state=failed`, { headers: { authorization: `Bearer ${s.adminToken}` } })).text();
    assert.ok(failed === await expected({ state: 'failed' }), 'the failed clients, byte for byte');
    assert.equal((parse(failed, { columns: true }) as unknown[]).length, 1_251);
    // Every chunk empty: the header alone, and the stream ends.
    const none = await (await fetch(`${s.url}/api/v1/reports/clients.csv?state=deferred`, { headers: { authorization: `Bearer ${s.adminToken}` } })).text();
    assert.equal(none, csvHeader());
  });

  it('stops an export whose client went away, its second thread with it, and goes on serving reports', async function () {
    if (process.env.UPDATE_FLEET_TEST_POSTGRES_URL) this.skip(); // the threads are SQLite's
    const tasks = () => readdirSync('/proc/self/task').length;
    const whole = async () => (await fetch(`${s.url}/api/v1/reports/clients.csv`, { headers: { authorization: `Bearer ${s.adminToken}` } })).text();
    const before = await whole();
    await new Promise((r) => setTimeout(r, 300));
    const threadsAtRest = tasks();
    for (let i = 0; i < 3; i++) {
      // The first bytes, then the connection closes while chunks are still being written.
      await new Promise<void>((resolve, reject) => {
        const req = get(`${s.url}/api/v1/reports/clients.csv`, { headers: { authorization: `Bearer ${s.adminToken}` } }, (res) => {
          res.once('data', () => { req.destroy(); resolve(); });
        });
        req.on('error', (err) => (req.destroyed ? resolve() : reject(err)));
      });
    }
    const deadline = Date.now() + 5_000;
    while (tasks() > threadsAtRest && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(tasks() <= threadsAtRest, `threads ${tasks()} > ${threadsAtRest} at rest: an export's thread outlived its client`);
    assert.equal(await whole(), before, 'the next report is whole');
  });
});

describe('legacy check.ini (seed 003)', function () {
  this.timeout(20_000);
  let s: TestServer;
  before(async () => { s = await startTestServer(); });
  after(async () => s.close());

  it('answers the exact bytes: [DATA], Success, Mandatory, version, url, CRLF, no [SETTINGS]', async () => {
    const admin = client(s.url, s.adminToken);
    const get = () => fetch(`${s.url}/agent/v1/check.ini?clientId=bria-1&version=59000`, { headers: { authorization: `Bearer ${s.enrollToken}` } });
    let r = await get();
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(await r.text(), '[DATA]\r\nSuccess=0\r\n');
    await admin.put('/api/v1/groups/default/policy', withPolicyDefaults({ mode: 'auto' }));
    await admin.post('/api/v1/releases', { version: '60000', mandatory: true });
    const up = await admin.raw('PUT', '/api/v1/releases/60000/artifact', { body: Buffer.from('installer'), headers: { 'content-type': 'application/octet-stream' } });
    await admin.post('/api/v1/releases/60000/approve');
    r = await get();
    const text = await r.text();
    assert.equal(text, `[DATA]\r\nSuccess=1\r\nMandatory=1\r\nversion=60000\r\nurl=${s.url}/agent/v1/artifacts/${up.body.artifact.sha256}\r\n`);
    assert.ok(!text.includes('[SETTINGS]'));
    // Same build: nothing to do.
    const same = await fetch(`${s.url}/agent/v1/check.ini?clientId=bria-1&version=60000`, { headers: { authorization: `Bearer ${s.enrollToken}` } });
    assert.equal(await same.text(), '[DATA]\r\nSuccess=0\r\n');
  });
});

describe('demo fleet (--demo)', function () {
  this.timeout(30_000);
  it('fills an empty database with the releases, groups and a few hundred clients of the card, once', async () => {
    let s = await startTestServer({ demo: true });
    try {
      const admin = client(s.url, s.adminToken);
      const releases = (await admin.get('/api/v1/releases')).body.items;
      const state = (v: string) => releases.find((r: any) => r.version === v)?.state;
      assert.equal(state('3.59.127.0'), 'approved');
      assert.equal(state('3.59.228.0'), 'pending');
      assert.equal(state('4.0.0-beta.1'), 'pending');
      assert.equal(releases.find((r: any) => r.version === '4.0.0-beta.1').channel, 'beta');
      assert.equal(state('3.58.0.0'), 'retired');
      assert.equal(state('1.2.2'), 'retired');
      for (const r of releases) assert.match(r.artifact.sha256, /^[0-9a-f]{64}$/, 'every demo release has a real package');
      const groups = (await admin.get('/api/v1/groups')).body.items;
      assert.deepEqual(groups.map((g: any) => g.name).sort(), ['Default', 'Office', 'Pilot', 'Warehouse']);
      const modes = new Set(groups.map((g: any) => g.policy.mode));
      assert.deepEqual([...modes].sort(), ['auto', 'none', 'pinned']);
      assert.ok(groups.some((g: any) => g.policy.window), 'a night window');
      assert.ok(groups.some((g: any) => g.policy.allowDowngrade));
      const sum = (await admin.get('/api/v1/summary')).body.overall;
      assert.ok(sum.total >= 200, `${sum.total} clients`);
      assert.ok(sum.failed > 0);
      assert.ok((sum.byState['manual-required'] ?? 0) > 0, 'legacy clients below the minimum');
      const failed = (await admin.get('/api/v1/clients?state=failed&limit=5')).body.items;
      assert.ok(failed.every((c: any) => c.reason && c.reason.length > 10));
      s = await s.restart();
      assert.equal((await client(s.url, s.adminToken).get('/api/v1/summary')).body.overall.total, sum.total, 'not filled twice');
    } finally {
      await s.close();
    }
  });
});
