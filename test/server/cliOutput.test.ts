// Which stream carries what (issue 9): with --log the request log is stdout, so the first-start admin token must
// never be written there (a collected log would hold the secret); it goes to stderr, once. New flags are checked.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call } from '../helpers/http';
import { until } from '../helpers/poll';

const MAIN = join(__dirname, '..', '..', 'src', 'server', 'main.ts');

describe('update-fleet-server output streams', function () {
  this.timeout(60_000);
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'uf-cli-streams-')); });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('the first admin token goes to stderr once, never to the request log on stdout; --max-package-size holds', async () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', MAIN, '--data', dir, '--port', '0', '--log', '--max-package-size', '1K'], {
      env: { ...process.env, UPDATE_FLEET_ADMIN_TOKEN: '', UPDATE_FLEET_ENROLL_TOKEN: '', UPDATE_FLEET_POSTGRES_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stderr!.on('data', (d) => { err += d; });
    const url = await new Promise<string>((resolve, reject) => {
      proc.stdout!.on('data', (d) => {
        out += d;
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      proc.on('exit', (code) => reject(new Error(`exited ${code}: ${out}${err}`)));
    });
    try {
      const admin = (await readFile(join(dir, 'admin.token'), 'utf8')).trim();
      assert.equal((await call(url, 'GET', '/api/v1/summary', { token: admin })).status, 200);
      // The log line is written after the answer, from another process's pipe: wait for it.
      await until(() => /"url":"\/api\/v1\/summary"/.test(out), 'the request log on stdout');
      assert.ok(!out.includes(admin), 'stdout never holds the admin token');
      assert.equal(err.split(admin).length - 1, 1, 'stderr shows it once');
      await call(url, 'POST', '/api/v1/releases', { token: admin, json: { version: '1.0.0' } });
      const put = (n: number) => call(url, 'PUT', '/api/v1/releases/1.0.0/artifact', { token: admin, body: Buffer.alloc(n, 7), headers: { 'content-type': 'application/octet-stream' } });
      const big = await put(1025);
      assert.equal(big.status, 413);
      assert.equal(big.body.error.code, 'body-too-large');
      assert.equal((await put(1024)).status, 200);
    } finally {
      proc.removeAllListeners('exit');
      await new Promise<void>((r) => { proc.on('exit', () => r()); proc.kill('SIGTERM'); });
    }
  });

  it('refuses a bad --max-package-size or an unreadable --package-key (exit 2)', () => {
    for (const args of [['--max-package-size', 'lots'], ['--package-key', join(dir, 'missing.pem')], ['--max-connections', '0']]) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, '--data', dir, ...args], { encoding: 'utf8' });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(args[0]!));
    }
  });
});
