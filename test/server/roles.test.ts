// The role matrix: no token 401; viewer reads; operator approves, revokes, retires, rolls back, moves clients;
// admin also edits policies, registers releases, manages tokens. The enrollment token opens only /agent/v1.
import assert from 'node:assert/strict';
import { withPolicyDefaults } from '../../src/core/policy';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, checkinBody, client, enrolledAgent } from '../helpers/http';

type Who = 'none' | 'agent' | 'viewer' | 'operator' | 'admin';
const ORDER: Who[] = ['viewer', 'operator', 'admin'];

describe('roles on every admin route', function () {
  this.timeout(30_000);
  let s: TestServer;
  const tokens: Record<Who, string | undefined> = { none: undefined, agent: undefined, viewer: undefined, operator: undefined, admin: undefined };

  before(async () => {
    s = await startTestServer();
    tokens.admin = s.adminToken;
    tokens.agent = s.enrollToken;
    const admin = client(s.url, s.adminToken);
    for (const role of ['viewer', 'operator'] as const) tokens[role] = (await admin.post('/api/v1/tokens', { name: `${role}-1`, role })).body.token;
    await enrolledAgent(s.url, s.enrollToken).post('/agent/v1/checkin', checkinBody('c-1', '1.0.0'));
  });
  after(async () => s.close());

  // [method, path, body, least role]. Bodies are valid, so the only reason to refuse is the role.
  let n = 0;
  const fresh = () => `7.0.${n++}`;
  const routes: Array<[string, string | (() => string), unknown, 'viewer' | 'operator' | 'admin']> = [
    ['GET', '/api/v1/summary', undefined, 'viewer'],
    ['GET', '/api/v1/releases', undefined, 'viewer'],
    ['GET', '/api/v1/groups', undefined, 'viewer'],
    ['GET', '/api/v1/groups/default', undefined, 'viewer'],
    ['GET', '/api/v1/groups/default/policy', undefined, 'viewer'],
    ['POST', '/api/v1/groups/default/policy/preview', withPolicyDefaults({ mode: 'auto' }), 'viewer'],
    ['GET', '/api/v1/clients', undefined, 'viewer'],
    ['GET', '/api/v1/clients/c-1', undefined, 'viewer'],
    ['GET', '/api/v1/reports/clients.csv', undefined, 'viewer'],
    ['GET', '/api/v1/audit', undefined, 'viewer'],
    ['GET', '/api/v1/settings', undefined, 'viewer'],
    ['PATCH', '/api/v1/clients/c-1', { groupId: 'default' }, 'operator'],
    ['POST', '/api/v1/releases', () => JSON.stringify({ version: fresh() }), 'admin'],
    ['PUT', '/api/v1/groups/default/policy', withPolicyDefaults({}), 'admin'],
    ['POST', '/api/v1/groups', () => JSON.stringify({ name: `g-${n++}` }), 'admin'],
    ['GET', '/api/v1/tokens', undefined, 'admin'],
    ['PUT', '/api/v1/settings', { minimumAutoUpgradeVersion: '1.2.3' }, 'admin'],
  ];

  for (const [method, path, body, least] of routes) {
    it(`${method} ${path}: 401 without a token, 403 below ${least} and for the enrollment token, allowed from ${least}`, async () => {
      for (const who of ['none', 'agent', ...ORDER] as Who[]) {
        const json = typeof body === 'function' ? JSON.parse((body as () => string)()) : body;
        const r = await call(s.url, method, path as string, { token: tokens[who], json });
        const allowed = who !== 'none' && who !== 'agent' && ORDER.indexOf(who) >= ORDER.indexOf(least);
        const want = who === 'none' ? 401 : allowed ? (r.status === 201 ? 201 : 200) : 403;
        assert.equal(r.status, want, `${who} on ${method} ${path}: ${r.text.slice(0, 200)}`);
        if (!allowed) assert.equal(typeof r.body.error.message, 'string');
      }
    });
  }

  it('lifecycle routes need operator', async () => {
    const admin = client(s.url, s.adminToken);
    // Approval needs a package (an external one with its sha256 will do here).
    await admin.post('/api/v1/releases', { version: '8.0.0', url: 'https://packages.example/p.tar.gz', sha256: 'ab'.repeat(32) });
    await admin.post('/api/v1/releases', { version: '8.1.0', url: 'https://packages.example/p.tar.gz', sha256: 'ab'.repeat(32) });
    for (const who of ['none', 'agent', 'viewer'] as Who[]) {
      for (const action of ['approve', 'revoke', 'retire', 'rollback']) {
        const r = await call(s.url, 'POST', `/api/v1/releases/8.1.0/${action}`, { token: tokens[who], json: {} });
        assert.equal(r.status, who === 'none' ? 401 : 403, `${who} ${action}`);
      }
    }
    const op = client(s.url, tokens.operator);
    assert.equal((await op.post('/api/v1/releases/8.0.0/approve')).status, 200);
    assert.equal((await op.post('/api/v1/releases/8.1.0/approve')).status, 200);
    assert.equal((await op.post('/api/v1/releases/8.1.0/rollback', {})).status, 200);
    assert.equal((await op.post('/api/v1/releases/8.1.0/retire')).status, 200);
    assert.equal((await op.raw('PUT', '/api/v1/releases/8.1.0/artifact', { body: Buffer.from('x'), headers: { 'content-type': 'application/octet-stream' } })).status, 403);
    const audit = await admin.get('/api/v1/audit?limit=5');
    assert.ok(audit.body.items.some((e: any) => e.actor === 'operator-1' && e.action === 'release.rollback'));
  });

  it('agent routes take only the enrollment token', async () => {
    for (const who of ['none', 'viewer', 'admin'] as Who[]) {
      const r = await call(s.url, 'POST', '/agent/v1/checkin', { token: tokens[who], json: checkinBody('c-2', '1.0.0') });
      assert.equal(r.status, who === 'none' ? 401 : 403);
    }
    const bad = await call(s.url, 'POST', '/agent/v1/checkin', { token: 'ufe_not_a_token', json: checkinBody('c-2', '1.0.0') });
    assert.equal(bad.status, 401);
    assert.match(bad.body.error.message, /not valid/);
  });
});
