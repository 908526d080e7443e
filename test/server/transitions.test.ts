// A release's transition list is bounded on the server too (issue 9: 6,095 entries slowed every check-in): each new
// step keeps the latest ones, and a list grown by an older version is cut at the next start.
import assert from 'node:assert/strict';
import { MAX_TRANSITIONS } from '../../src/core/lifecycle';
import { startTestServer } from '../helpers/server';
import { call } from '../helpers/http';

describe('release transitions stay bounded', function () {
  this.timeout(60_000);

  it('approve/revoke in a loop keeps the latest transitions; the audit log keeps them all', async () => {
    const s = await startTestServer();
    try {
      const auth = { headers: { authorization: `Bearer ${s.adminToken}` } };
      await call(s.url, 'POST', '/api/v1/releases', { ...auth, json: { version: '1.0.0', url: 'https://packages.example/1.0.0.tar.gz', sha256: 'a'.repeat(64), size: 10 } });
      for (let i = 0; i < MAX_TRANSITIONS + 10; i++) {
        const r = await call(s.url, 'POST', `/api/v1/releases/1.0.0/${i % 2 === 0 ? 'approve' : 'revoke'}`, { ...auth, json: {} });
        assert.equal(r.status, 200, r.text);
      }
      const rel = await call(s.url, 'GET', '/api/v1/releases/1.0.0', auth);
      assert.equal(rel.body.transitions.length, MAX_TRANSITIONS);
      assert.equal(rel.body.transitions.at(-1).to, rel.body.state);
      const audit = await call(s.url, 'GET', '/api/v1/audit?limit=500', auth);
      assert.equal(audit.body.items.filter((e: { action: string }) => /^release\.(approve|revoke)$/.test(e.action)).length, MAX_TRANSITIONS + 10);
    } finally {
      await s.close();
    }
  });

  it('a list grown before the bound is cut at start', async () => {
    let s = await startTestServer();
    try {
      const at = new Date().toISOString();
      const transitions = Array.from({ length: 6_095 }, (_, i) => ({ from: i % 2 ? 'approved' : 'revoked', to: i % 2 ? 'revoked' : 'approved', by: `op${i}`, at }) as const);
      await s.server.fleet.store.releases.insert({
        id: 'r-grown', version: '2.0.0', channel: 'stable', notes: '', mandatory: false, artifact: {}, state: 'approved',
        createdAt: at, createdBy: 'test', transitions: [{ from: null, to: 'pending', by: 'test', at }, ...transitions],
      });
      s = await s.restart();
      const rel = await call(s.url, 'GET', '/api/v1/releases/2.0.0', { headers: { authorization: `Bearer ${s.adminToken}` } });
      assert.equal(rel.body.transitions.length, MAX_TRANSITIONS);
      assert.equal(rel.body.transitions.at(-1).by, 'op6094');
    } finally {
      await s.close();
    }
  });
});
