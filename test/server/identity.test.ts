// Client identity (issue 9, finding 1): the enrollment token only enrolls; each client then speaks only for itself
// with its own credential; manual admission holds new ids; decommissioned clients are refused; the enrollment
// token rotates without re-enrolling anyone; the server records the connection's address beside the reported IP.
// Each test would have passed the attack on the code before client credentials (noted per test).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeClientToken } from '../../src/core/admission';
import { call, checkinBody, client, enrolledAgent } from '../helpers/http';
import { startTestServer, type TestServer } from '../helpers/server';

const newSecret = (): string => randomBytes(32).toString('base64url');
const enrollBody = (id: string, secret: string) => ({ clientId: id, secret, name: `Client ${id}`, computer: id.toUpperCase(), ip: '10.0.0.1', user: 'j.doe' });

describe('client identity: a credential per client', function () {
  this.timeout(60_000);
  let s: TestServer;
  let admin: ReturnType<typeof client>;
  before(async () => {
    s = await startTestServer({ demo: true });
    admin = client(s.url, s.adminToken);
  });
  after(async () => s.close());

  it('the enrollment token no longer checks in or reports as another client (before: 200 and the client rewritten)', async () => {
    const before = (await admin.get('/api/v1/clients/demo-off-pc-0001')).body;
    const forged = await call(s.url, 'POST', '/agent/v1/checkin', { token: s.enrollToken, json: { clientId: 'demo-off-pc-0001', name: 'EVIL', computer: 'EVIL-PC', ip: '6.6.6.6', user: 'evil', version: '3.59.127.0' } });
    assert.equal(forged.status, 403, forged.text);
    assert.equal(forged.body.error.code, 'client-credential-required');
    assert.match(forged.body.error.message, /only enrolls/);
    const report = await call(s.url, 'POST', '/agent/v1/report', { token: s.enrollToken, json: { clientId: 'demo-off-pc-0001', state: 'up-to-date', reason: 'forged' } });
    assert.equal(report.status, 403, report.text);
    // Enrolling the known id with a fresh secret does not take it over: it waits for an administrator.
    const secret = newSecret();
    const claim = await call(s.url, 'POST', '/agent/v1/enroll', { token: s.enrollToken, json: enrollBody('demo-off-pc-0001', secret) });
    assert.equal(claim.status, 201, claim.text);
    assert.equal(claim.body.status, 'pending');
    const asClaimer = await call(s.url, 'POST', '/agent/v1/checkin', { token: encodeClientToken('demo-off-pc-0001', secret), json: { clientId: 'demo-off-pc-0001', name: 'EVIL', computer: 'EVIL-PC', ip: '6.6.6.6', user: 'evil', version: '3.59.127.0' } });
    assert.equal(asClaimer.status, 403, asClaimer.text);
    assert.equal(asClaimer.body.error.code, 'pending-admission');
    assert.match(asClaimer.body.error.message, /waiting for an administrator to admit this client/);
    const after = (await admin.get('/api/v1/clients/demo-off-pc-0001')).body;
    assert.deepEqual([after.computer, after.ip, after.version, after.state, after.reason], [before.computer, before.ip, before.version, before.state, before.reason]);
    // A second claim with another secret is refused outright.
    const again = await call(s.url, 'POST', '/agent/v1/enroll', { token: s.enrollToken, json: enrollBody('demo-off-pc-0001', newSecret()) });
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.error.code, 'already-enrolled');
  });

  it('a client credential touches only its own client (before: any id with the shared token)', async () => {
    const agent = enrolledAgent(s.url, s.enrollToken);
    await agent.post('/agent/v1/checkin', checkinBody('victim-1', '1.2.2'));
    const mine = await agent.tokenFor('attacker-1');
    for (const [path, json] of [
      ['/agent/v1/checkin', checkinBody('victim-1', '3.59.127.0', { computer: 'EVIL-PC' })],
      ['/agent/v1/report', { clientId: 'victim-1', state: 'failed', reason: 'forged failure to halt the rollout' }],
    ] as const) {
      const r = await call(s.url, 'POST', path, { token: mine, json });
      assert.equal(r.status, 403, r.text);
      assert.equal(r.body.error.code, 'wrong-client');
      assert.match(r.body.error.message, /belongs to client "attacker-1"; it cannot check in or report for client "victim-1"/);
    }
    const legacy = await call(s.url, 'GET', '/agent/v1/check.ini?clientId=victim-1&version=1.2.2', { token: mine });
    assert.equal(legacy.status, 403, legacy.text);
    const victim = (await admin.get('/api/v1/clients/victim-1')).body;
    assert.deepEqual([victim.computer, victim.version, victim.state === 'failed'], ['VICTIM-1', '1.2.2', false]);
    // A wrong secret for a real id, and a credential for an id never enrolled.
    const wrong = await call(s.url, 'POST', '/agent/v1/checkin', { token: encodeClientToken('victim-1', newSecret()), json: checkinBody('victim-1', '1.2.2') });
    assert.deepEqual([wrong.status, wrong.body.error.code], [401, 'unauthorized']);
    const never = await call(s.url, 'POST', '/agent/v1/checkin', { token: encodeClientToken('never-1', newSecret()), json: checkinBody('never-1', '1.2.2') });
    assert.deepEqual([never.status, never.body.error.code], [401, 'not-enrolled']);
    // The enrollment token cannot take an enrolled id either, and the enrollment is idempotent for its owner.
    const steal = await call(s.url, 'POST', '/agent/v1/enroll', { token: s.enrollToken, json: enrollBody('victim-1', newSecret()) });
    assert.equal(steal.status, 409, steal.text);
  });

  it('an enrollment retried with the same secret is answered again, not refused', async () => {
    const secret = newSecret();
    const first = await call(s.url, 'POST', '/agent/v1/enroll', { token: s.enrollToken, json: enrollBody('retry-1', secret) });
    const second = await call(s.url, 'POST', '/agent/v1/enroll', { token: s.enrollToken, json: enrollBody('retry-1', secret) });
    assert.deepEqual([first.status, first.body.status, second.status, second.body.status], [201, 'active', 200, 'active']);
  });

  it('stores only the secret\'s sha256', async () => {
    const secret = newSecret();
    await call(s.url, 'POST', '/agent/v1/enroll', { token: s.enrollToken, json: enrollBody('hashed-1', secret) });
    const row = await s.server.fleet.store.credentials.get('hashed-1');
    assert.equal(row?.secretHash, createHash('sha256').update(secret).digest('hex'));
    if (!s.postgresUrl) assert.ok(!(await readFile(join(s.dataDir, 'fleet.db'))).includes(Buffer.from(secret)), 'the secret is nowhere in the database file');
  });

  it('records the connection\'s address beside the IP the agent reports (before: only what the agent said)', async () => {
    const agent = enrolledAgent(s.url, s.enrollToken);
    await agent.post('/agent/v1/checkin', checkinBody('liar-1', '1.2.2', { ip: '6.6.6.6' }));
    const c = (await admin.get('/api/v1/clients/liar-1')).body;
    assert.deepEqual([c.ip, c.address], ['6.6.6.6', '127.0.0.1']);
    // Without --trust-proxy a forwarded header is not believed.
    await call(s.url, 'POST', '/agent/v1/checkin', { token: await agent.tokenFor('liar-1'), json: checkinBody('liar-1', '1.2.2', { ip: '6.6.6.6' }), headers: { 'x-forwarded-for': '203.0.113.9' } });
    assert.equal((await admin.get('/api/v1/clients/liar-1')).body.address, '127.0.0.1');
    const csv = await (await fetch(`${s.url}/api/v1/reports/clients.csv`, { headers: { authorization: `Bearer ${s.adminToken}` } })).text();
    assert.match(csv.split('\n')[0], /^computer,name,ip,address,/);
    assert.ok(csv.split('\n').some((l) => l.startsWith('LIAR-1,') && l.includes(',6.6.6.6,127.0.0.1,')), 'the CSV has both');
  });

  it('package downloads need a credential (before: anyone)', async () => {
    const sha = (await admin.get('/api/v1/releases/3.59.127.0')).body.artifact.sha256;
    assert.equal((await fetch(`${s.url}/agent/v1/artifacts/${sha}`)).status, 401);
    const agent = enrolledAgent(s.url, s.enrollToken);
    const r = await agent.as('downloader-1', 'GET', `/agent/v1/artifacts/${sha}`);
    assert.equal(r.status, 200);
  });

  it('decommission: the client leaves the fleet and its next check-in is refused with a reason; operators may, viewers may not', async () => {
    const agent = enrolledAgent(s.url, s.enrollToken);
    await agent.post('/agent/v1/checkin', checkinBody('old-pc-1', '1.2.2'));
    const total = (await admin.get('/api/v1/summary')).body.overall.total;
    const viewer = (await admin.post('/api/v1/tokens', { name: 'viewer-1', role: 'viewer' })).body.token;
    assert.equal((await call(s.url, 'POST', '/api/v1/clients/old-pc-1/decommission', { token: viewer })).status, 403);
    const d = await admin.post('/api/v1/clients/old-pc-1/decommission');
    assert.equal(d.status, 200, d.text);
    assert.equal(d.body.status, 'decommissioned');
    const next = await agent.post('/agent/v1/checkin', checkinBody('old-pc-1', '1.2.2'));
    assert.equal(next.status, 403, next.text);
    assert.equal(next.body.error.code, 'decommissioned');
    assert.match(next.body.error.message, /decommissioned by an administrator/);
    assert.equal((await admin.get('/api/v1/clients/old-pc-1')).status, 404, 'gone from the client list');
    assert.equal((await admin.get('/api/v1/summary')).body.overall.total, total - 1, 'and from the counts');
    assert.equal((await admin.post('/api/v1/clients/old-pc-1/decommission')).status, 409);
    const back = await call(s.url, 'POST', '/agent/v1/enroll', { token: s.enrollToken, json: enrollBody('old-pc-1', newSecret()) });
    assert.deepEqual([back.status, back.body.error.code], [403, 'decommissioned']);
    // A client that never had a credential (a demo or legacy client) is refused on check.ini too.
    assert.equal((await admin.post('/api/v1/clients/demo-wh-pc-0002/decommission')).status, 200);
    const ini = await call(s.url, 'GET', '/agent/v1/check.ini?clientId=demo-wh-pc-0002&version=1.2.2', { token: s.enrollToken });
    assert.deepEqual([ini.status, ini.body.error.code], [403, 'decommissioned']);
    const audit = (await admin.get('/api/v1/audit?action=client.decommission')).body.items;
    assert.ok(audit.some((e: { target: string }) => e.target === 'OLD-PC-1'), 'audited');
  });

  it('the enrollment token rotates: the old one stops enrolling, enrolled clients keep checking in, admins only', async () => {
    const agent = enrolledAgent(s.url, s.enrollToken);
    await agent.post('/agent/v1/checkin', checkinBody('keeps-1', '1.2.2'));
    const operator = (await admin.post('/api/v1/tokens', { name: 'op-1', role: 'operator' })).body.token;
    assert.equal((await call(s.url, 'POST', '/api/v1/enrollment-token/rotate', { token: operator })).status, 403);
    const r = await admin.post('/api/v1/enrollment-token/rotate');
    assert.equal(r.status, 200, r.text);
    assert.match(r.body.token, /^ufe_/);
    assert.equal((await readFile(join(s.dataDir, 'enroll.token'), 'utf8')).trim(), r.body.token);
    const old = await call(s.url, 'POST', '/agent/v1/enroll', { token: s.enrollToken, json: enrollBody('late-1', newSecret()) });
    assert.equal(old.status, 401, old.text);
    const fresh = await call(s.url, 'POST', '/agent/v1/enroll', { token: r.body.token, json: enrollBody('late-1', newSecret()) });
    assert.equal(fresh.status, 201, fresh.text);
    assert.equal((await agent.post('/agent/v1/checkin', checkinBody('keeps-1', '1.2.2'))).status, 200, 'no re-enrollment');
  });
});

describe('manual admission (--admission manual)', function () {
  this.timeout(60_000);
  let s: TestServer;
  let admin: ReturnType<typeof client>;
  before(async () => {
    s = await startTestServer({ server: { admission: 'manual' } });
    admin = client(s.url, s.adminToken);
  });
  after(async () => s.close());

  it('holds new ids as pending, outside the fleet and its counts (before: unlimited new ids joined the fleet)', async () => {
    const agent = enrolledAgent(s.url, s.enrollToken);
    for (let i = 0; i < 30; i++) await agent.tokenFor(`flood-${i}`);
    const first = await agent.post('/agent/v1/checkin', checkinBody('flood-0', '1.0.0'));
    assert.equal(first.status, 403, first.text);
    assert.equal(first.body.error.code, 'pending-admission');
    assert.equal((await admin.get('/api/v1/summary')).body.overall.total, 0);
    const pending = (await admin.get('/api/v1/enrollments?status=pending')).body;
    assert.equal(pending.total, 30);
    assert.equal(pending.admission, 'manual');
    assert.deepEqual(Object.keys(pending.items[0]).sort(), ['address', 'clientId', 'computer', 'decidedAt', 'decidedBy', 'enrolledAt', 'ip', 'name', 'status', 'user']);
  });

  it('accept lets a pending client in; reject refuses it; only pending ones; viewers may not', async () => {
    const agent = enrolledAgent(s.url, s.enrollToken);
    await agent.tokenFor('ok-1');
    await agent.tokenFor('no-1');
    const viewer = (await admin.post('/api/v1/tokens', { name: 'viewer-2', role: 'viewer' })).body.token;
    assert.equal((await call(s.url, 'POST', '/api/v1/enrollments/ok-1/accept', { token: viewer })).status, 403);
    assert.equal((await admin.post('/api/v1/enrollments/ok-1/accept')).status, 200);
    assert.equal((await admin.post('/api/v1/enrollments/ok-1/accept')).status, 409, 'not pending any more');
    assert.equal((await admin.post('/api/v1/enrollments/nobody/accept')).status, 404);
    const inside = await agent.post('/agent/v1/checkin', checkinBody('ok-1', '1.0.0'));
    assert.equal(inside.status, 200, inside.text);
    assert.equal((await admin.get('/api/v1/summary')).body.overall.total, 1);
    assert.equal((await admin.post('/api/v1/enrollments/no-1/reject')).status, 200);
    const out = await agent.post('/agent/v1/checkin', checkinBody('no-1', '1.0.0'));
    assert.deepEqual([out.status, out.body.error.code], [403, 'rejected']);
    const audit = (await admin.get('/api/v1/audit?action=client.')).body.items.map((e: { action: string }) => e.action);
    assert.ok(audit.includes('client.accept') && audit.includes('client.reject'), audit.join());
  });

  it('a legacy check.ini client (enrollment token) is held as pending too', async () => {
    const r = await call(s.url, 'GET', '/agent/v1/check.ini?clientId=bria-9&version=59000', { token: s.enrollToken });
    assert.deepEqual([r.status, r.body.error.code], [403, 'pending-admission']);
    assert.equal((await admin.post('/api/v1/enrollments/bria-9/accept')).status, 200);
    const ok = await call(s.url, 'GET', '/agent/v1/check.ini?clientId=bria-9&version=59000', { token: s.enrollToken });
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.text, /^\[DATA\]\r\nSuccess=0/);
  });
});

describe('--trust-proxy', function () {
  this.timeout(30_000);
  let s: TestServer;
  before(async () => { s = await startTestServer({ server: { trustProxy: '127.0.0.1' } }); });
  after(async () => s.close());

  it('takes the client\'s address from X-Forwarded-For when the proxy is trusted', async () => {
    const agent = enrolledAgent(s.url, s.enrollToken);
    await call(s.url, 'POST', '/agent/v1/checkin', { token: await agent.tokenFor('behind-1'), json: checkinBody('behind-1', '1.0.0'), headers: { 'x-forwarded-for': '203.0.113.9' } });
    assert.equal((await client(s.url, s.adminToken).get('/api/v1/clients/behind-1')).body.address, '203.0.113.9');
  });

});

describe('agent reads that arrive together', function () {
  this.timeout(60_000);
  let s: TestServer;
  before(async () => { s = await startTestServer({ demo: true }); });
  after(async () => s.close());

  it('each gets its own credential and client row, in one batch (PostgreSQL: one query; SQLite: the reader thread\'s messages)', async () => {
    const agent = enrolledAgent(s.url, s.enrollToken);
    const ids = Array.from({ length: 40 }, (_, i) => `together-${i}`);
    for (const [i, id] of ids.entries()) await agent.post('/agent/v1/checkin', checkinBody(id, i % 2 ? '3.58.0.0' : '2.0.0'));
    // Enrolled, never checked in: a credential without a client row.
    await agent.tokenFor('together-enrolled-only');
    const asked = [...ids, ids[3], 'together-enrolled-only', 'together-nobody', ids[0]];
    // Asked in the same tick: they go to the database together.
    const got = await Promise.all(asked.map((id) => s.server.fleet.store.getAgent(id)));
    for (const [k, id] of asked.entries()) {
      const r = got[k];
      if (id === 'together-nobody') {
        assert.deepEqual(r, {}, id);
        continue;
      }
      assert.equal(r.credential?.clientId, id, id);
      assert.equal(r.credential?.status, 'active', id);
      if (id === 'together-enrolled-only') {
        assert.equal(r.client, undefined, id);
        continue;
      }
      const i = ids.indexOf(id);
      assert.deepEqual([r.client?.id, r.client?.version, r.client?.computer], [id, i % 2 ? '3.58.0.0' : '2.0.0', id.toUpperCase()], id);
    }
  });
});
