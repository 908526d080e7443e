// The server's command line: first start makes the tokens (admin printed once, files 0600), `token create` makes
// more, restart does not print secrets again, the request log never carries a token, bad flags exit 2.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, enrolledAgent } from '../helpers/http';

const MAIN = join(__dirname, '..', '..', 'src', 'server', 'main.ts');
const node = (args: string[]) => [process.execPath, ['--import', 'tsx', MAIN, ...args]] as const;

async function startCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ url: string; proc: ChildProcess; out: () => string; stop(): Promise<void> }> {
  const [cmd, argv] = node(args);
  const proc = spawn(cmd, argv, { env: { ...process.env, UPDATE_FLEET_ADMIN_TOKEN: '', UPDATE_FLEET_ENROLL_TOKEN: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
    proc.stdout!.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) { clearTimeout(t); resolve(m[1]); }
    });
    proc.on('exit', (code) => { clearTimeout(t); reject(new Error(`exited ${code}: ${out}`)); });
  });
  return {
    url, proc, out: () => out,
    stop: () => new Promise<void>((r) => { proc.removeAllListeners('exit'); proc.on('exit', () => r()); proc.kill('SIGTERM'); }),
  };
}

describe('update-fleet-server command line', function () {
  this.timeout(60_000);
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'uf-cli-')); });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('first start creates the admin token, prints it once, keeps it in a 0600 file; restart does not print it', async () => {
    const s = await startCli(['--data', dir, '--port', '0', '--log']);
    let admin: string;
    try {
      admin = (await readFile(join(dir, 'admin.token'), 'utf8')).trim();
      assert.equal((await stat(join(dir, 'admin.token'))).mode & 0o777, 0o600);
      assert.equal((await stat(join(dir, 'enroll.token'))).mode & 0o777, 0o600);
      assert.equal(s.out().split(admin).length - 1, 1, 'printed exactly once');
      const enroll = (await readFile(join(dir, 'enroll.token'), 'utf8')).trim();
      assert.ok(!s.out().includes(enroll), 'the enrollment token is not printed');
      assert.equal((await call(s.url, 'GET', '/api/v1/summary', { token: admin })).status, 200);
      assert.equal((await call(s.url, 'GET', '/api/v1/summary', { token: 'wrong' })).status, 401);
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(s.out().includes('"url":"/api/v1/summary"'), 'the request log is on');
      assert.equal(s.out().split(admin).length - 1, 1, 'the request log never carries the token');
    } finally {
      await s.stop();
    }
    const again = await startCli(['--data', dir, '--port', '0']);
    try {
      assert.ok(!again.out().includes(admin!), 'not printed again');
      assert.equal((await call(again.url, 'GET', '/api/v1/summary', { token: admin! })).status, 200);
    } finally {
      await again.stop();
    }
  });

  it('token create makes a token with a role, printed once', async () => {
    const [cmd, argv] = node(['token', 'create', '--role', 'viewer', '--name', 'dashboard', '--data', dir]);
    const r = spawnSync(cmd, argv, { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const viewer = r.stdout.trim();
    assert.match(viewer, /^ufa_/);
    assert.match(r.stderr, /viewer token named "dashboard"/);
    const s = await startCli(['--data', dir, '--port', '0']);
    try {
      assert.equal((await call(s.url, 'GET', '/api/v1/releases', { token: viewer })).status, 200);
      const denied = await call(s.url, 'POST', '/api/v1/releases', { token: viewer, json: { version: '1.0.0' } });
      assert.equal(denied.status, 403);
      assert.match(denied.body.error.message, /"dashboard" has the viewer role/);
    } finally {
      await s.stop();
    }
  });

  it('environment tokens replace generated ones (automation)', async () => {
    const s = await startCli(['--data', dir, '--port', '0'], { UPDATE_FLEET_ADMIN_TOKEN: 'ufa_from_env_123456', UPDATE_FLEET_ENROLL_TOKEN: 'ufe_from_env_123456' });
    try {
      assert.equal((await call(s.url, 'GET', '/api/v1/summary', { token: 'ufa_from_env_123456' })).status, 200);
      const agent = enrolledAgent(s.url, 'ufe_from_env_123456');
      const c = await agent.post('/agent/v1/checkin', { clientId: 'x1', name: 'x', computer: 'X', ip: '1.2.3.4', user: 'u', version: '1.0.0' });
      assert.equal(c.status, 200);
      await assert.rejects(readFile(join(dir, 'admin.token'), 'utf8'), 'the replaced token\'s file is gone');
    } finally {
      await s.stop();
    }
  });

  it('a bad flag or a bad role exits 2 with the usage', () => {
    for (const args of [['--port', 'eighty'], ['--frobnicate'], ['token', 'create', '--role', 'root', '--name', 'x', '--data', dir], ['token', 'create', '--role', 'admin', '--data', dir]]) {
      const [cmd, argv] = node(args);
      const r = spawnSync(cmd, argv, { encoding: 'utf8' });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /Usage:/);
    }
  });
});
