// Bad input on every route: a clear 4xx with {error:{code,message}}, never a 5xx, and nothing stored.
import assert from 'node:assert/strict';
import { withPolicyDefaults } from '../../src/core/policy';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, checkinBody, client, enrolledAgent } from '../helpers/http';

describe('bad input never crashes and never stores anything', function () {
  this.timeout(30_000);
  let s: TestServer;
  let admin: ReturnType<typeof client>;
  let snapshot: () => Promise<string>;
  /** The credential of the enrolled client "known": agent routes are checked past the token. */
  let knownToken: string;

  before(async () => {
    s = await startTestServer();
    admin = client(s.url, s.adminToken);
    await admin.post('/api/v1/releases', { version: '2.0.0' });
    const agent = enrolledAgent(s.url, s.enrollToken);
    await agent.post('/agent/v1/checkin', checkinBody('known', '1.0.0'));
    knownToken = await agent.tokenFor('known');
    snapshot = async () => JSON.stringify([
      (await admin.get('/api/v1/releases')).body.items.map((r: any) => [r.version, r.state, r.artifact]),
      (await admin.get('/api/v1/groups')).body.items.map((g: any) => [g.id, g.policy]),
      (await admin.get('/api/v1/clients')).body.items.map((c: any) => [c.id, c.groupId, c.state, c.version, c.reason]),
      (await admin.get('/api/v1/tokens')).body.items.length,
    ]);
  });
  after(async () => s.close());

  const A = 'admin', E = 'agent';
  const cases: Array<[string, string, string, unknown, string?, number?]> = [
    ['POST', '/api/v1/releases', A, { version: 'not a version!' }, undefined, 422],
    ['POST', '/api/v1/releases', A, { version: '' }],
    ['POST', '/api/v1/releases', A, { version: '3.0.0', channel: 'nightly' }],
    ['POST', '/api/v1/releases', A, { version: '3.0.0', mandatory: 'yes' }],
    ['POST', '/api/v1/releases', A, { version: '3.0.0', sha256: 'abc' }],
    ['POST', '/api/v1/releases', A, { version: '3.0.0', url: 'ftp://x/y' }, undefined, 422],
    ['POST', '/api/v1/releases', A, { version: '3.0.0', extra: 1 }],
    ['POST', '/api/v1/releases', A, [1, 2]],
    ['POST', '/api/v1/releases', A, '{"version": '],
    ['POST', '/api/v1/releases', A, 'version=3', 'application/x-www-form-urlencoded', 415],
    ['POST', '/api/v1/releases/2.0.0/approve', A, { note: 42 }],
    ['POST', '/api/v1/releases/2.0.0/rollback', A, { dryRun: 'sure' }],
    ['POST', '/api/v1/releases/2.0.0/rollback', A, {}, undefined, 409],
    ['POST', '/api/v1/releases/9.9.9/approve', A, {}, undefined, 404],
    ['PUT', '/api/v1/releases/2.0.0/artifact', A, { not: 'bytes' }, undefined, 415],
    ['PUT', '/api/v1/groups/default/policy', A, { mode: 'sometimes' }],
    ['PUT', '/api/v1/groups/default/policy', A, { ...withPolicyDefaults({}), rolloutPercent: 150 }, undefined, 422],
    ['PUT', '/api/v1/groups/default/policy', A, { ...withPolicyDefaults({ mode: 'pinned', pinnedVersion: '5.5.5' }) }, undefined, 422],
    ['PUT', '/api/v1/groups/nope/policy', A, withPolicyDefaults({}), undefined, 404],
    ['POST', '/api/v1/groups/default/policy/preview', A, { mode: 'auto' }],
    ['POST', '/api/v1/groups', A, { name: '' }],
    ['POST', '/api/v1/groups', A, { name: 'default' }, undefined, 409],
    ['POST', '/api/v1/groups', A, { name: 'X', policy: { mode: 'warp' } }],
    ['PATCH', '/api/v1/clients/known', A, { groupId: 'no-such-group' }, undefined, 422],
    ['PATCH', '/api/v1/clients/unknown', A, { groupId: 'default' }, undefined, 404],
    ['PATCH', '/api/v1/clients/known', A, {}],
    ['GET', '/api/v1/clients?limit=0', A, undefined],
    ['GET', '/api/v1/clients?limit=abc', A, undefined],
    ['GET', '/api/v1/clients?state=broken', A, undefined],
    ['GET', '/api/v1/clients?wildcard=1', A, undefined],
    ['GET', '/api/v1/clients?group=nope', A, undefined, undefined, 404],
    ['GET', '/api/v1/reports/clients.csv?state=nope', A, undefined],
    ['GET', '/api/v1/audit?limit=-1', A, undefined],
    ['POST', '/api/v1/tokens', A, { name: 'x', role: 'root' }],
    ['DELETE', '/api/v1/tokens/not-a-token', A, undefined, undefined, 404],
    ['POST', '/agent/v1/checkin', E, { ...checkinBody('a', '1.0.0'), clientId: '../../etc' }],
    ['POST', '/agent/v1/checkin', E, { ...checkinBody('a', '1.0.0'), version: undefined }],
    ['POST', '/agent/v1/checkin', E, { ...checkinBody('a', '1.0.0'), name: 'x'.repeat(5000) }],
    ['POST', '/agent/v1/checkin', E, { ...checkinBody('a', '1.0.0'), deferredUntil: 'tomorrow' }],
    ['POST', '/agent/v1/report', E, { clientId: 'known', state: 'exploded' }],
    ['POST', '/agent/v1/report', E, { clientId: 'known', state: 'failed', version: 'v?' }, undefined, 422],
    ['GET', '/agent/v1/check.ini?clientId=known', E, undefined],
    ['GET', '/agent/v1/artifacts/xyz', E, undefined],
    ['POST', '/agent/v1/enroll', 'enroll', { ...checkinBody('new-1', '1.0.0'), secret: 'short' }],
    ['POST', '/agent/v1/enroll', 'enroll', { clientId: '../x', secret: 'A'.repeat(43), name: 'n', computer: 'c', ip: '1.2.3.4', user: 'u' }],
  ];

  for (const [method, path, who, body, contentType, status] of cases) {
    it(`${method} ${path} ${body === undefined ? '' : JSON.stringify(body).slice(0, 70)} → ${status ?? 400}`, async () => {
      const before = await snapshot();
      const token = who === A ? s.adminToken : who === E ? knownToken : s.enrollToken;
      const raw = typeof body === 'string';
      const r = await call(s.url, method, path, raw
        ? { token, body: body as string, headers: { 'content-type': contentType ?? 'application/json' } }
        : { token, json: body });
      assert.equal(r.status, status ?? 400, r.text);
      assert.equal(typeof r.body?.error?.code, 'string', r.text);
      assert.ok(r.body.error.message.length > 10, r.body.error.message);
      assert.equal(await snapshot(), before, 'nothing stored');
    });
  }

  it('an oversized body is refused with 413', async () => {
    const r = await call(s.url, 'POST', '/api/v1/releases', { token: s.adminToken, json: { version: '4.0.0', notes: 'x'.repeat(2 * 1024 * 1024) } });
    assert.equal(r.status, 413);
  });
});
