// Download, test, and then approve: approval refused without a package (and, when the server asks for it, without
// a test download); the download is in the audit log with who and when; notes and mandatory editable while
// pending; the audit log's filters; whoami; pre-releases get the beta tag; the preview refuses what Save refuses.
import assert from 'node:assert/strict';
import { withPolicyDefaults } from '../../src/core/policy';
import { startTestServer, type TestServer } from '../helpers/server';
import { client } from '../helpers/http';

const octet = (bytes: string) => ({ body: Buffer.from(bytes), headers: { 'content-type': 'application/octet-stream' } });

describe('download, test, and then approve', function () {
  this.timeout(30_000);
  let s: TestServer;
  let admin: ReturnType<typeof client>;
  before(async () => {
    s = await startTestServer();
    admin = client(s.url, s.adminToken);
  });
  after(async () => s.close());

  it('refuses to approve a release without a package, with a sentence that says to upload it first', async () => {
    assert.equal((await admin.post('/api/v1/releases', { version: '2.0.0' })).status, 201);
    const r = await admin.post('/api/v1/releases/2.0.0/approve');
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'no-package');
    assert.match(r.body.error.message, /^Release 2\.0\.0 has no package yet: upload the package first\b.*\.$/);
    assert.equal((await admin.get('/api/v1/releases/2.0.0')).body.state, 'pending');
    assert.equal((await admin.raw('PUT', '/api/v1/releases/2.0.0/artifact', octet('package 2.0.0'))).status, 200);
    assert.equal((await admin.post('/api/v1/releases/2.0.0/approve')).status, 200);
  });

  it('a rollback that would approve its target refuses a target without a package too', async () => {
    // 2.0.0 (approved above, with a package) is rolled back; the only older release, 1.5.0, never got a package.
    assert.equal((await admin.post('/api/v1/releases', { version: '1.5.0' })).status, 201);
    const r = await admin.post('/api/v1/releases/2.0.0/rollback', { approveTarget: true });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.error.code, 'no-package');
    assert.match(r.body.error.message, /^Release 1\.5\.0 has no package yet/);
    assert.equal((await admin.get('/api/v1/releases/1.5.0')).body.state, 'pending');
    assert.equal((await admin.get('/api/v1/releases/2.0.0')).body.state, 'approved', 'nothing was carried out');
  });

  it('records who downloaded a package for testing, and when (audit, filterable)', async () => {
    await admin.post('/api/v1/releases', { version: '2.1.0' });
    await admin.raw('PUT', '/api/v1/releases/2.1.0/artifact', octet('package 2.1.0'));
    const viewer = client(s.url, (await admin.post('/api/v1/tokens', { name: 'tester', role: 'viewer' })).body.token);
    const dl = await viewer.get('/api/v1/releases/2.1.0/artifact');
    assert.equal(dl.status, 200);
    const audit = await admin.get('/api/v1/audit?action=release.download&target=2.1.0');
    assert.equal(audit.status, 200);
    assert.equal(audit.body.items.length, 1);
    assert.equal(audit.body.items[0].actor, 'tester');
    assert.ok(Date.parse(audit.body.items[0].at) <= Date.now());
  });

  it('a download resumed in ranges is one audit entry, not one per range', async () => {
    const count = async () => (await admin.get('/api/v1/audit?action=release.download&target=2.1.0')).body.items.length;
    const before = await count();
    const size = Buffer.byteLength('package 2.1.0');
    const first = await admin.raw('GET', '/api/v1/releases/2.1.0/artifact', { headers: { range: 'bytes=0-3' } });
    assert.equal(first.status, 206);
    for (const range of ['bytes=4-7', `bytes=8-${size - 1}`, 'bytes=-2']) {
      const r = await admin.raw('GET', '/api/v1/releases/2.1.0/artifact', { headers: { range } });
      assert.equal(r.status, 206, range);
    }
    assert.equal((await admin.raw('HEAD', '/api/v1/releases/2.1.0/artifact', {})).status, 200);
    assert.equal(await count(), before + 1, 'the range from byte 0 started the download; the others continued it');
    assert.equal((await admin.raw('GET', '/api/v1/releases/2.1.0/artifact', {})).status, 200);
    assert.equal(await count(), before + 2, 'a whole GET is a download of its own');
  });

  it('filters the audit log by who, what (exact or prefix) and when', async () => {
    const byTester = await admin.get('/api/v1/audit?actor=tester');
    assert.ok(byTester.body.items.length >= 1);
    assert.ok(byTester.body.items.every((e: { actor: string }) => e.actor === 'tester'));
    const releases = await admin.get('/api/v1/audit?action=release.');
    assert.ok(releases.body.items.length >= 3);
    assert.ok(releases.body.items.every((e: { action: string }) => e.action.startsWith('release.')));
    const future = await admin.get(`/api/v1/audit?since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`);
    assert.deepEqual(future.body.items, []);
    assert.equal((await admin.get('/api/v1/audit?since=yesterday')).status, 400);
    // An offset is taken for what it means: an hour ahead written in +02:00 is still an hour ahead.
    const aheadInBerlin = new Date(Date.now() + 3_600_000 + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
    assert.deepEqual((await admin.get(`/api/v1/audit?since=${encodeURIComponent(aheadInBerlin)}`)).body.items, []);
    const pastInBerlin = new Date(Date.now() - 3_600_000 + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
    assert.ok((await admin.get(`/api/v1/audit?since=${encodeURIComponent(pastInBerlin)}`)).body.items.length > 0);
  });

  it('edits notes and mandatory while pending, not after approval', async () => {
    await admin.post('/api/v1/releases', { version: '2.2.0', notes: 'first draft' });
    const p = await admin.patch('/api/v1/releases/2.2.0', { notes: 'Fixes the sign-in screen.', mandatory: true });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.body.notes, 'Fixes the sign-in screen.');
    assert.equal(p.body.mandatory, true);
    const audit = await admin.get('/api/v1/audit?action=release.edit&target=2.2.0');
    assert.match(audit.body.items[0].details, /first draft/);
    await admin.raw('PUT', '/api/v1/releases/2.2.0/artifact', octet('package 2.2.0'));
    await admin.post('/api/v1/releases/2.2.0/approve');
    const late = await admin.patch('/api/v1/releases/2.2.0', { notes: 'changed after approval' });
    assert.equal(late.status, 409);
    assert.match(late.body.error.message, /only be changed while it is pending/);
    const viewer = client(s.url, (await admin.post('/api/v1/tokens', { name: 'v2', role: 'viewer' })).body.token);
    assert.equal((await viewer.patch('/api/v1/releases/2.2.0', { notes: 'x' })).status, 403);
  });

  it('GET /api/v1/whoami names the token and its role', async () => {
    assert.deepEqual((await admin.get('/api/v1/whoami')).body, { name: 'admin', role: 'admin' });
    const op = client(s.url, (await admin.post('/api/v1/tokens', { name: 'ops', role: 'operator' })).body.token);
    assert.deepEqual((await op.get('/api/v1/whoami')).body, { name: 'ops', role: 'operator' });
    assert.equal((await client(s.url).get('/api/v1/whoami')).status, 401);
  });

  it('a pre-release registered without a channel gets the beta tag', async () => {
    assert.equal((await admin.post('/api/v1/releases', { version: '5.0.0-beta.1' })).body.channel, 'beta');
    assert.equal((await admin.post('/api/v1/releases', { version: '5.0.0' })).body.channel, 'stable');
    assert.equal((await admin.post('/api/v1/releases', { version: '5.1.0-rc.1', channel: 'stable' })).body.channel, 'stable');
  });

  it('the policy preview refuses a pinned version that is not registered, as Save does', async () => {
    const policy = withPolicyDefaults({ mode: 'pinned', pinnedVersion: '9.9.9' });
    const save = await admin.put('/api/v1/groups/default/policy', policy);
    const preview = await admin.post('/api/v1/groups/default/policy/preview', policy);
    assert.equal(save.status, 422);
    assert.equal(preview.status, 422);
    assert.equal(preview.body.error.message, save.body.error.message);
  });
});

describe('a server that requires a test download before approval', function () {
  this.timeout(30_000);
  let s: TestServer;
  before(async () => { s = await startTestServer({ requireDownloadBeforeApproval: true }); });
  after(async () => s.close());

  it('refuses until someone downloaded the package', async () => {
    const admin = client(s.url, s.adminToken);
    await admin.post('/api/v1/releases', { version: '3.0.0' });
    await admin.raw('PUT', '/api/v1/releases/3.0.0/artifact', octet('package 3.0.0'));
    const refused = await admin.post('/api/v1/releases/3.0.0/approve');
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'not-downloaded');
    assert.match(refused.body.error.message, /download the package and test it before approving it\.$/);
    assert.equal((await admin.get('/api/v1/releases/3.0.0/artifact')).status, 200);
    assert.equal((await admin.post('/api/v1/releases/3.0.0/approve')).status, 200);
  });
});
