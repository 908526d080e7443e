// The fleet server's routes against a real server: free loopback port, real SQLite file, real HTTP.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { withPolicyDefaults } from '../../src/core/policy';
import { POSTGRES_URL, startTestServer, type TestServer } from '../helpers/server';
import { call, checkinBody, client, enrolledAgent, fetchWithToken } from '../helpers/http';

describe(`fleet server API (real server, ${POSTGRES_URL ? 'PostgreSQL' : 'real SQLite file'})`, function () {
  this.timeout(20_000);
  let s: TestServer;
  let admin: ReturnType<typeof client>;
  let agent: ReturnType<typeof enrolledAgent>;

  before(async () => {
    s = await startTestServer();
    admin = client(s.url, s.adminToken);
    agent = enrolledAgent(s.url, s.enrollToken);
  });
  after(async () => s.close());

  it('health answers without a token and names the store', async () => {
    const r = await call(s.url, 'GET', '/api/v1/health');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { status: 'ok', version: '0.1.0', store: POSTGRES_URL ? 'postgres' : 'sqlite' });
  });

  it('publishes an OpenAPI document listing every route', async () => {
    const r = await call(s.url, 'GET', '/api/v1/openapi.json');
    assert.equal(r.status, 200);
    assert.match(r.body.openapi, /^3\./);
    for (const p of ['/api/v1/releases', '/api/v1/releases/{id}/rollback', '/api/v1/groups/{id}/policy/preview', '/api/v1/clients', '/api/v1/reports/clients.csv', '/agent/v1/checkin', '/agent/v1/check.ini']) {
      assert.ok(r.body.paths[p], `OpenAPI lacks ${p}`);
    }
  });

  it('registers a release, lists it with a client count, finds it by id and by version', async () => {
    const r = await admin.post('/api/v1/releases', { version: '3.59.127.0', notes: 'first', channel: 'stable' });
    assert.equal(r.status, 201);
    assert.equal(r.body.state, 'pending');
    assert.equal(r.body.transitions[0].by, 'admin');
    const byVersion = await admin.get('/api/v1/releases/3.59.127.0');
    assert.equal(byVersion.body.id, r.body.id);
    const byId = await admin.get(`/api/v1/releases/${r.body.id}`);
    assert.equal(byId.body.version, '3.59.127.0');
    const list = await admin.get('/api/v1/releases');
    assert.equal(list.body.items.length, 1);
    assert.equal(list.body.items[0].clientCount, 0);
    const dup = await admin.post('/api/v1/releases', { version: '3.59.127.0' });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, 'release-exists');
  });

  it('stores uploaded package bytes, computes size and sha256, and serves them with HTTP Range', async () => {
    const bytes = Buffer.from('0123456789abcdefghij'.repeat(100));
    const sha = createHash('sha256').update(bytes).digest('hex');
    const up = await admin.raw('PUT', '/api/v1/releases/3.59.127.0/artifact', { body: bytes, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(up.status, 200, up.text);
    assert.equal(up.body.artifact.sha256, sha);
    assert.equal(up.body.artifact.size, bytes.length);
    const whole = await fetchWithToken(s.enrollToken)(`${s.url}/agent/v1/artifacts/${sha}`);
    assert.equal(whole.status, 200);
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), bytes);
    const part = await fetchWithToken(s.enrollToken)(`${s.url}/agent/v1/artifacts/${sha}`, { headers: { range: 'bytes=10-19' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 10-19/${bytes.length}`);
    assert.equal(Buffer.from(await part.arrayBuffer()).toString(), 'abcdefghij');
    const open = await fetchWithToken(s.enrollToken)(`${s.url}/agent/v1/artifacts/${sha}`, { headers: { range: `bytes=${bytes.length - 5}-` } });
    assert.equal(open.status, 206);
    assert.equal((await open.arrayBuffer()).byteLength, 5);
    const bad = await fetchWithToken(s.enrollToken)(`${s.url}/agent/v1/artifacts/${sha}`, { headers: { range: `bytes=${bytes.length + 10}-` } });
    assert.equal(bad.status, 416);
    const admDl = await fetch(`${s.url}/api/v1/releases/3.59.127.0/artifact`, { headers: { authorization: `Bearer ${s.adminToken}` } });
    assert.equal(admDl.status, 200);
    assert.match(admDl.headers.get('content-disposition') ?? '', /update-fleet-3\.59\.127\.0\.tar\.gz/);
    const missing = await fetchWithToken(s.enrollToken)(`${s.url}/agent/v1/artifacts/${'0'.repeat(64)}`);
    assert.equal(missing.status, 404);
    const traversal = await fetchWithToken(s.enrollToken)(`${s.url}/agent/v1/artifacts/..%2F..%2Ffleet.db`);
    assert.equal(traversal.status, 400);
  });

  it('approves, refuses an illegal transition with a reason, and audits with the token name', async () => {
    const ok = await admin.post('/api/v1/releases/3.59.127.0/approve', { note: 'tested on the bench' });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.state, 'approved');
    const again = await admin.post('/api/v1/releases/3.59.127.0/approve');
    assert.equal(again.status, 409);
    assert.match(again.body.error.message, /already approved/);
    const reupload = await admin.raw('PUT', '/api/v1/releases/3.59.127.0/artifact', { body: Buffer.from('x'), headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(reupload.status, 409, 'approved bits cannot change');
    const audit = await admin.get('/api/v1/audit?limit=10');
    const entry = audit.body.items.find((e: any) => e.action === 'release.approve');
    assert.equal(entry.actor, 'admin');
    assert.equal(entry.target, '3.59.127.0');
  });

  it('creates groups (by id or name in paths), validates policies, and previews exactly what check-ins then return', async () => {
    const g = await admin.post('/api/v1/groups', { name: 'Office', policy: { mode: 'auto', delivery: 'on-demand' } });
    assert.equal(g.status, 201);
    assert.equal(g.body.id, 'office');
    assert.equal((await admin.get('/api/v1/groups/OFFICE')).body.id, 'office');
    const clash = await admin.post('/api/v1/groups', { name: 'office' });
    assert.equal(clash.status, 409);

    // Clients check in (they land in Default) and are moved to Office.
    const ids = Array.from({ length: 12 }, (_, i) => `pc-${String(i).padStart(2, '0')}`);
    for (const [i, id] of ids.entries()) {
      const r = await agent.post('/agent/v1/checkin', checkinBody(id, i < 4 ? '3.59.127.0' : i < 10 ? '3.58.0.0' : '1.2.2'));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.action, 'none');
      assert.equal(r.body.reason, 'policy-no-upgrade', 'Default: No Upgrade (seed 001)');
      const mv = await admin.patch(`/api/v1/clients/${id}`, { groupId: 'Office' });
      assert.equal(mv.status, 200);
      assert.equal(mv.body.groupId, 'office');
    }
    // Seed 000's minimum is fleet-wide: 1.2.2 needs a manual install in any group.
    assert.equal((await admin.put('/api/v1/settings', { minimumAutoUpgradeVersion: '1.2.3' })).status, 200);
    const candidate = { ...withPolicyDefaults({ mode: 'auto', delivery: 'forced' }), rolloutPercent: 50 };
    const preview = await admin.post('/api/v1/groups/office/policy/preview', candidate);
    assert.equal(preview.status, 200, preview.text);
    assert.equal(preview.body.total, 12);
    assert.equal(preview.body.counts.manual, 2, JSON.stringify(preview.body.counts));
    // Nothing was stored by the preview.
    assert.equal((await admin.get('/api/v1/groups/office/policy')).body.mode, 'auto');
    assert.equal((await admin.get('/api/v1/groups/office/policy')).body.delivery, 'on-demand');

    const put = await admin.put('/api/v1/groups/office/policy', candidate);
    assert.equal(put.status, 200, put.text);
    for (const row of preview.body.clients) {
      const r = await agent.post('/agent/v1/checkin', checkinBody(row.client.id, row.client.version));
      assert.equal(r.body.action, row.action, `${row.client.id}: preview said ${row.action}/${row.reason}, check-in gave ${r.body.action}/${r.body.reason}`);
      assert.equal(r.body.reason, row.reason);
      if (row.action === 'force') {
        assert.equal(r.body.version, '3.59.127.0');
        assert.match(r.body.url, new RegExp(`^${s.url}/agent/v1/artifacts/[0-9a-f]{64}$`));
        assert.equal(r.body.delivery, 'forced');
      }
    }
  });

  it('rejects an invalid policy with every field problem and stores nothing', async () => {
    const before = (await admin.get('/api/v1/groups/office/policy')).body;
    const bad = await admin.put('/api/v1/groups/office/policy', { ...before, mode: 'pinned', pinnedVersion: null, checkIntervalSeconds: 5, window: { start: '25:00', end: '06:00', timeZone: 'Mars/Base' } });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.error.code, 'invalid-policy');
    assert.ok(bad.body.fields.length >= 3, JSON.stringify(bad.body.fields));
    const unknown = await admin.put('/api/v1/groups/office/policy', { ...before, autoUpgrade: true });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.error.message, /autoUpgrade/);
    assert.deepEqual((await admin.get('/api/v1/groups/office/policy')).body, before);
  });

  it('keyword search over name, computer, IP and user takes the text literally (no wildcards), and pages with a cursor', async () => {
    for (const [id, name, user, ip] of [['w-1', 'Front_Desk 100%', 'a.star', '10.1.2.3'], ['w-2', 'FrontXDesk 1000', 'b*c', '10.1.2.4'], ['w-3', 'Lab', 'o.neil', '192.168.7.7']]) {
      await agent.post('/agent/v1/checkin', { clientId: id, name, computer: id.toUpperCase(), ip, user, version: '3.59.127.0' });
    }
    const q = async (text: string) => (await admin.get(`/api/v1/clients?q=${encodeURIComponent(text)}`)).body.items.map((c: any) => c.id).sort();
    assert.deepEqual(await q('Front_Desk'), ['w-1'], '_ is not a wildcard');
    assert.deepEqual(await q('100%'), ['w-1'], '% is not a wildcard');
    assert.deepEqual(await q('b*c'), ['w-2'], '* is literal');
    assert.deepEqual(await q('*'), ['w-2']);
    assert.deepEqual(await q('192.168.7'), ['w-3'], 'by IP');
    assert.deepEqual(await q('O.NEIL'), ['w-3'], 'by user, case-insensitive');
    assert.deepEqual(await q('frontxdesk'), ['w-2'], 'by name');
    assert.deepEqual(await q('W-3'), ['w-3'], 'by computer');
    assert.deepEqual(await q('"'), [], 'a quote is just a character');
    // Below three characters there is no trigram: still a literal substring match, but no (costly) total.
    const short = await admin.get(`/api/v1/clients?q=${encodeURIComponent('_D')}`);
    assert.deepEqual(short.body.items.map((c: any) => c.id), ['w-1']);
    assert.equal(short.body.total, undefined);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const r = await admin.get(`/api/v1/clients?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(r.status, 200);
      seen.push(...r.body.items.map((c: any) => c.id));
      assert.equal(r.body.total, 15);
      cursor = r.body.nextCursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.equal(new Set(seen).size, 15);
    const badCursor = await admin.get('/api/v1/clients?cursor=garbage');
    assert.equal(badCursor.status, 400);
    const filtered = await admin.get('/api/v1/clients?group=office&version=1.2.2');
    assert.deepEqual(filtered.body.items.map((c: any) => c.id), ['pc-10', 'pc-11']);
    assert.equal(filtered.body.items[0].state, 'manual-required');
  });

  it('records reports with reasons and keeps a bounded history per client', async () => {
    const r = await agent.post('/agent/v1/report', { clientId: 'pc-05', state: 'failed', targetVersion: '3.59.127.0', reason: 'Checksum mismatch: expected aa, got bb' });
    assert.equal(r.status, 200);
    const d = await admin.get('/api/v1/clients/pc-05');
    assert.equal(d.body.state, 'failed');
    assert.equal(d.body.reason, 'Checksum mismatch: expected aa, got bb');
    assert.equal(d.body.groupName, 'Office');
    assert.equal(d.body.history[0].state, 'failed');
    for (let i = 0; i < 60; i++) await agent.post('/agent/v1/report', { clientId: 'pc-05', state: i % 2 ? 'downloading' : 'staged', targetVersion: '3.59.127.0' });
    const afterProgress = (await admin.get('/api/v1/clients/pc-05')).body;
    assert.equal(afterProgress.history.length, 50);
    assert.equal(afterProgress.reason, null, 'a new state without a reason does not keep the old failure reason');
    const unknown = await agent.post('/agent/v1/report', { clientId: 'never-seen', state: 'failed', reason: 'x' });
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.error.message, /check in first/);
  });

  it('rolls back: 409 naming the version to approve first, then with approveTarget it approves and revokes', async () => {
    // The target must have a package too: approving it is approving bits.
    await admin.post('/api/v1/releases', { version: '3.58.0.0', url: 'https://packages.example/p-3.58.tar.gz', sha256: 'cd'.repeat(32) });
    await admin.post('/api/v1/releases', { version: '3.60.0.0', url: 'https://packages.example/p.tar.gz', sha256: 'ab'.repeat(32) }); // approval needs a package
    await admin.post('/api/v1/releases/3.60.0.0/approve');
    await admin.post('/api/v1/releases/3.59.127.0/revoke');
    const plan = await admin.post('/api/v1/releases/3.60.0.0/rollback', { dryRun: true });
    assert.equal(plan.status, 200);
    assert.equal(plan.body.carriedOut, false);
    assert.equal(plan.body.mustApproveVersion, '3.58.0.0');
    const refused = await admin.post('/api/v1/releases/3.60.0.0/rollback', {});
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'rollback-target-not-approved');
    assert.match(refused.body.error.message, /Approve 3\.58\.0\.0 first/);
    assert.equal(refused.body.plan.mustApproveVersion, '3.58.0.0');
    assert.equal((await admin.get('/api/v1/releases/3.60.0.0')).body.state, 'approved', 'nothing changed');
    const done = await admin.post('/api/v1/releases/3.60.0.0/rollback', { approveTarget: true, note: 'crashes on start' });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.carriedOut, true);
    assert.equal(done.body.targetVersion, '3.58.0.0');
    assert.equal((await admin.get('/api/v1/releases/3.60.0.0')).body.state, 'revoked');
    assert.equal((await admin.get('/api/v1/releases/3.58.0.0')).body.state, 'approved');
    // A client on the revoked release is told to go back, even though the policy does not allow downgrades.
    const c = await agent.post('/agent/v1/checkin', checkinBody('rb-1', '3.60.0.0'));
    assert.equal(c.body.action, 'downgrade');
    assert.equal(c.body.reason, 'rollback');
    assert.equal(c.body.version, '3.58.0.0');
    const retire = await admin.post('/api/v1/releases/3.58.0.0/retire');
    assert.equal(retire.body.state, 'retired');
    assert.equal((await admin.post('/api/v1/releases/nope/approve')).status, 404);
  });

  it('manages tokens: created once with the secret, listed without it, revoked', async () => {
    const t = await admin.post('/api/v1/tokens', { name: 'ops-bot', role: 'operator' });
    assert.equal(t.status, 201);
    assert.match(t.body.token, /^ufa_/);
    const list = await admin.get('/api/v1/tokens');
    assert.ok(list.body.items.some((x: any) => x.name === 'ops-bot'));
    assert.ok(!JSON.stringify(list.body).includes(t.body.token), 'secrets are never listed');
    const ops = client(s.url, t.body.token);
    assert.equal((await ops.get('/api/v1/summary')).status, 200);
    assert.equal((await admin.del(`/api/v1/tokens/${t.body.id}`)).status, 204);
    // The token cache is dropped on revoke.
    assert.equal((await ops.get('/api/v1/summary')).status, 401);
  });

  it('summarises fleet health overall and per group', async () => {
    const r = await admin.get('/api/v1/summary');
    assert.equal(r.status, 200);
    assert.equal(r.body.overall.total, (await admin.get('/api/v1/clients?limit=1')).body.total);
    assert.ok(r.body.byGroup.office.total >= 12);
    assert.equal(r.body.overall.failed, r.body.overall.byState.failed ?? 0);
  });
});
