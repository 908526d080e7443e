// Transport (issue 9): the server on HTTPS with a certificate from a private CA made here with openssl, the agent CLI
// as a process with --ca (and --server-key) end to end, the same check-in without the CA, and plain http refused
// for a server that is not on this machine.
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { join } from 'node:path';
import axios from 'axios';
import { withPolicyDefaults } from '../../src/core/policy';
import { EXIT } from '../../src/agent/errors';
import { startTestServer, type TestServer } from '../helpers/server';
import { privateCa, type PrivateCa } from '../helpers/tls';
import { assertCompleteVersion, cleanupTempDirs, machine, makePackage, runCli, tempDir } from './helpers';

describe('agent: transport', function () {
  this.timeout(60_000);
  after(cleanupTempDirs);

  describe('over TLS with a private CA', () => {
    let ts: TestServer;
    let ca: PrivateCa;
    let admin: ReturnType<typeof axios.create>;
    before(async () => {
      ca = privateCa(await tempDir('tls'));
      ts = await startTestServer({ server: { tls: { cert: await fsp.readFile(ca.certFile), key: await fsp.readFile(ca.keyFile) } } });
      assert.match(ts.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      admin = axios.create({ baseURL: ts.url, headers: { authorization: `Bearer ${ts.adminToken}` }, httpsAgent: new HttpsAgent({ ca: await fsp.readFile(ca.caFile) }), validateStatus: () => true });
      const pkg = await makePackage('2.0.0');
      const reg = await admin.post('/api/v1/releases', { version: '2.0.0' });
      assert.equal(reg.status, 201, JSON.stringify(reg.data));
      const up = await admin.put(`/api/v1/releases/${reg.data.id}/artifact`, pkg.bytes, { headers: { 'content-type': 'application/octet-stream' } });
      assert.equal(up.status, 200, JSON.stringify(up.data));
      assert.equal((await admin.post(`/api/v1/releases/${reg.data.id}/approve`, {})).status, 200);
      const pol = await admin.put('/api/v1/groups/default/policy', { ...withPolicyDefaults({ mode: 'auto', delivery: 'forced' }), checkIntervalSeconds: 60, startupDelaySeconds: 60 });
      assert.equal(pol.status, 200, JSON.stringify(pol.data));
    });
    after(async () => ts?.close());

    it('with --ca (and --server-key) the agent checks in, downloads and installs over https', async () => {
      const m = await machine('1.0.0', ts.enrollToken);
      const keyFile = join(m.root, 'server.pub');
      await fsp.writeFile(keyFile, ts.server.signer.exportPublicKey('base64'));
      const r = await runCli(['check', '--server', ts.url, '--token-file', m.tokenFile, '--install', m.install, '--state', m.state,
        '--apply-by', 'agent', '--ca', ca.caFile, '--server-key', keyFile]);
      assert.equal(r.code, EXIT.ok, r.stderr);
      assert.equal(await assertCompleteVersion(m.install, ['2.0.0']), '2.0.0');
      assert.doesNotMatch(r.stderr, /plain http/);
      const id = JSON.parse(await fsp.readFile(join(m.state, 'identity.json'), 'utf8')).clientId as string;
      const detail = await admin.get(`/api/v1/clients/${id}`);
      assert.equal(detail.data.version, '2.0.0');
      assert.equal(detail.data.state, 'up-to-date');
    });

    it('without the CA the check-in fails and says the certificate is not trusted and what to do', async () => {
      const m = await machine('1.0.0', ts.enrollToken);
      const r = await runCli(['check', '--server', ts.url, '--token-file', m.tokenFile, '--install', m.install, '--state', m.state, '--apply-by', 'agent']);
      assert.equal(r.code, EXIT.failure, r.stderr);
      // The first request of a new agent is its enrollment: it is refused the same way.
      assert.match(r.stderr, /(Check-in|Enrollment) failed: https:\/\/127\.0\.0\.1:\d+\/agent\/v1\/(checkin|enroll): the server's TLS certificate is not trusted \([A-Z_]+\); if a private CA issued it, give that CA's certificate with --ca FILE/);
      assert.equal(await assertCompleteVersion(m.install, ['1.0.0']), '1.0.0');
      assert.ok(!existsSync(`${m.install}_update_pending`));
    });
  });

  describe('plain http', () => {
    it('to a server that is not on this machine is refused without --insecure-http', async () => {
      const m = await machine('1.0.0', 'ufe_whatever');
      const r = await runCli(['check', '--server', 'http://192.0.2.10:7780', '--token-file', m.tokenFile, '--install', m.install, '--state', m.state]);
      assert.equal(r.code, EXIT.usage);
      assert.match(r.stderr, /Refusing plain http to http:\/\/192\.0\.2\.10:7780: the enrollment token and the server's answers would cross the network unencrypted/);
      assert.ok(!existsSync(join(m.state, 'identity.json')), 'refused before anything was done');
      const sim = await runCli(['simulate', '--server', 'http://192.0.2.10:7780', '--token', 'ufe_whatever', '--count', '1']);
      assert.equal(sim.code, EXIT.usage);
      assert.match(sim.stderr, /Refusing plain http/);
    });

    it('with --insecure-http is allowed, with a warning at every start', async () => {
      const m = await machine('1.0.0', 'ufe_whatever');
      const args = ['status', '--server', 'http://192.0.2.10:7780', '--token-file', m.tokenFile, '--install', m.install, '--state', m.state, '--insecure-http'];
      for (let start = 0; start < 2; start++) {
        const r = await runCli(args);
        assert.equal(r.code, EXIT.ok, r.stderr);
        assert.match(r.stderr, /warning: Talking to http:\/\/192\.0\.2\.10:7780 over plain http \(--insecure-http\)/);
      }
    });

    it('to loopback needs no flag', async () => {
      const m = await machine('1.0.0', 'ufe_whatever');
      const r = await runCli(['status', '--server', 'http://127.0.0.1:9', '--token-file', m.tokenFile, '--install', m.install, '--state', m.state]);
      assert.equal(r.code, EXIT.ok, r.stderr);
      assert.doesNotMatch(r.stderr, /plain http/);
    });
  });
});
