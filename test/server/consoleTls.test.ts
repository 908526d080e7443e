// The console over https with a certificate from a private CA (made here with openssl), through the console's own
// client (FleetClient: every call and the live event stream). Without the CA every call fails with the reason and
// how VS Code is given a CA; with NODE_EXTRA_CA_CERTS in the environment it starts with (as the README says to start
// VS Code or code-server), the same client reads the fleet and receives its events.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FleetApiError, FleetClient } from '../../src/extension/fleetClient';
import { startTestServer, type TestServer } from '../helpers/server';
import { privateCa, type PrivateCa } from '../helpers/tls';

const REPO = resolve(__dirname, '..', '..');

/** Node with tsx running `code` (ESM-free CommonJS through tsx), the environment given; its stdout and exit code. */
function nodeWith(code: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', '-e', code], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('error', reject);
    p.on('exit', (c) => resolvePromise({ code: c, stdout, stderr }));
  });
}

describe('console over https with a private CA', function () {
  this.timeout(60_000);
  let dir: string;
  let ca: PrivateCa;
  let ts: TestServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uf-console-tls-'));
    ca = privateCa(dir);
    ts = await startTestServer({ server: { tls: { cert: readFileSync(ca.certFile), key: readFileSync(ca.keyFile) } } });
    assert.match(ts.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  });
  after(async () => {
    await ts?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('without the CA, a call and the event stream fail saying the certificate is not trusted and how to give VS Code the CA', async () => {
    const client = new FleetClient(ts.url, ts.adminToken);
    await assert.rejects(client.openEvents(new AbortController().signal), (err: unknown) => err instanceof FleetApiError && err.code === 'tls');
    await assert.rejects(client.summary(), (err: unknown) => {
      assert.ok(err instanceof FleetApiError, String(err));
      assert.equal(err.code, 'tls');
      assert.equal(err.status, 0);
      assert.match(err.message, new RegExp(`^Cannot connect to the fleet server at ${ts.url.replace(/\./g, '\\.')}: the server's TLS certificate is not trusted \\([A-Z_]+\\); ` +
        "if a private CA issued it, add that CA to this computer's certificate store, or start VS Code \\(or code-server\\) with NODE_EXTRA_CA_CERTS=/path/to/ca\\.pem in its environment\\.$"));
      return true;
    });
  });

  it('with NODE_EXTRA_CA_CERTS in its environment, the console reads the fleet and its live events over https', async () => {
    // A fresh process: Node reads NODE_EXTRA_CA_CERTS only when it starts, as VS Code's extension host does.
    const script = `
      const { FleetClient } = require('./src/extension/fleetClient.ts');
      (async () => {
        const client = new FleetClient(process.env.URL, process.env.TOKEN);
        const health = await client.health();
        const summary = await client.summary();
        const abort = new AbortController();
        const stream = await client.openEvents(abort.signal);
        stream.setEncoding('utf8');
        let text = '';
        const event = new Promise((res, rej) => {
          stream.on('data', (d) => { text += d; if (/event: release\\n/.test(text)) res(true); });
          stream.on('error', rej);
          setTimeout(() => rej(new Error('no release event within 10 s; got: ' + JSON.stringify(text))), 10000);
        });
        const release = await client.registerRelease({ version: '4.5.6' });
        await event;
        abort.abort();
        console.log(JSON.stringify({ store: health.store, total: summary.overall.total, release: release.version, event: true }));
        process.exit(0);
      })().catch((err) => { console.error(err && err.message || err); process.exit(1); });`;
    const r = await nodeWith(script, { URL: ts.url, TOKEN: ts.adminToken, NODE_EXTRA_CA_CERTS: ca.caFile });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { store: string; total: number; release: string; event: boolean };
    assert.equal(out.release, '4.5.6');
    assert.equal(out.event, true);
    assert.equal(typeof out.total, 'number');
    assert.ok(out.store.length > 0);
  });
});
