// Shared pieces of the agent tests: real folders in a temp dir, real tar.gz packages, a real server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import * as tar from 'tar';
import { withPolicyDefaults } from '../../src/core/policy';
import type { Policy } from '../../src/core/types';
import { Agent } from '../../src/agent/agent';
import type { AgentConfig } from '../../src/agent/config';
import { loadIdentity } from '../../src/agent/identity';
import { MemoryLogger } from '../../src/agent/log';
import { FixedPrompter, type Prompter } from '../../src/agent/prompter';
import { buildSourceAndReporter } from '../../src/agent/cli';
import { client } from '../helpers/http';
import { startTestServer, type TestServer } from '../helpers/server';
import type { ServerOptions } from '../../src/server/app';

export const REPO = resolve(__dirname, '..', '..');
export const MAIN_TS = join(REPO, 'src', 'agent', 'main.ts');

const created: string[] = [];

export async function tempDir(label: string): Promise<string> {
  const dir = await fsp.mkdtemp(join(tmpdir(), `uf-agent-${label}-`));
  created.push(dir);
  return dir;
}

/** Remove every temp dir the tests of a file made (call from its `after` hook). */
export async function cleanupTempDirs(): Promise<void> {
  const dirs = created.splice(0);
  await Promise.all(dirs.map((d) => fsp.rm(d, { recursive: true, force: true })));
}

/** The files of a version: enough of them that a kill during extraction leaves a half-written folder. */
export function filesOf(version: string): Record<string, string> {
  const files: Record<string, string> = { VERSION: `${version}\n`, 'bin/app.sh': `#!/bin/sh\necho "app ${version}"\n` };
  for (let i = 0; i < 24; i++) files[`lib/part-${String(i).padStart(2, '0')}.txt`] = `${version} part ${i}\n${'x'.repeat(2000 + i)}\n`;
  return files;
}

export async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    await fsp.mkdir(join(dir, rel, '..'), { recursive: true });
    await fsp.writeFile(join(dir, rel), content);
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await fsp.readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  await walk(dir);
  return out.sort();
}

/** The folder holds exactly one whole version (every file of it, nothing else); returns that version. */
export async function assertCompleteVersion(dir: string, allowed: string[]): Promise<string> {
  assert.ok(existsSync(dir), `${dir} must exist`);
  const version = (await fsp.readFile(join(dir, 'VERSION'), 'utf8')).trim();
  assert.ok(allowed.includes(version), `${dir} holds ${version}, expected one of ${allowed.join(', ')}`);
  const expected = filesOf(version);
  assert.deepEqual(await listFiles(dir), Object.keys(expected).sort(), `${dir} must hold exactly the files of ${version}`);
  for (const [rel, content] of Object.entries(expected)) assert.equal(await fsp.readFile(join(dir, rel), 'utf8'), content, `${rel} of ${version}`);
  return version;
}

export interface Pkg {
  file: string;
  bytes: Buffer;
  sha256: string;
}

/** A tar.gz of the version's files (VERSION at the root). */
export async function makePackage(version: string, opts: { files?: Record<string, string>; dir?: string } = {}): Promise<Pkg> {
  const work = await tempDir('pkg');
  const src = join(work, 'src');
  await writeTree(src, opts.files ?? filesOf(version));
  const file = join(opts.dir ?? work, `app-${version}.tar.gz`);
  await tar.c({ gzip: true, file, cwd: src, portable: true }, await fsp.readdir(src));
  const bytes = await fsp.readFile(file);
  return { file, bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export function keyPair(): { publicPem: string; sign(data: Buffer): string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: (data) => sign(null, data, privateKey).toString('base64'),
  };
}

// ---- the server ---------------------------------------------------------------------------------

export interface Fleet {
  ts: TestServer;
  admin: ReturnType<typeof client>;
  setPolicy(p: Partial<Policy>, groupId?: string): Promise<void>;
  /** Seed 000's fleet-wide minimum auto-upgrade version. */
  setMinimumAutoUpgradeVersion(v: string | null): Promise<void>;
  /** Register, upload, approve. */
  publish(version: string, pkg: Pkg, opts?: { mandatory?: boolean; signature?: string; approve?: boolean }): Promise<{ id: string; artifact: { url: string; sha256: string; size: number } }>;
  clientDetail(id: string): Promise<any>;
  close(): Promise<void>;
}

export async function startFleet(server: Partial<ServerOptions> = {}): Promise<Fleet> {
  const ts = await startTestServer({ server });
  const admin = client(ts.url, ts.adminToken);
  return {
    ts,
    admin,
    async setPolicy(p, groupId = 'default') {
      const r = await admin.put(`/api/v1/groups/${groupId}/policy`, { ...withPolicyDefaults(p), checkIntervalSeconds: p.checkIntervalSeconds ?? 60, startupDelaySeconds: p.startupDelaySeconds ?? 60 });
      assert.equal(r.status, 200, `set policy: ${r.text}`);
    },
    async setMinimumAutoUpgradeVersion(v) {
      const r = await admin.put('/api/v1/settings', { minimumAutoUpgradeVersion: v });
      assert.equal(r.status, 200, `set minimum: ${r.text}`);
    },
    async publish(version, pkg, opts = {}) {
      const reg = await admin.post('/api/v1/releases', { version, mandatory: opts.mandatory ?? false, notes: `Release ${version}` });
      assert.equal(reg.status, 201, `register ${version}: ${reg.text}`);
      const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
      if (opts.signature) headers['x-package-signature'] = opts.signature;
      const up = await admin.raw('PUT', `/api/v1/releases/${reg.body.id}/artifact`, { body: new Uint8Array(pkg.bytes) as unknown as BodyInit, headers });
      assert.equal(up.status, 200, `upload ${version}: ${up.text}`);
      if (opts.approve !== false) {
        const ap = await admin.post(`/api/v1/releases/${reg.body.id}/approve`);
        assert.equal(ap.status, 200, `approve ${version}: ${ap.text}`);
      }
      return { id: reg.body.id, artifact: up.body.artifact };
    },
    async clientDetail(id) {
      const r = await admin.get(`/api/v1/clients/${encodeURIComponent(id)}`);
      assert.equal(r.status, 200, `client ${id}: ${r.text}`);
      return r.body;
    },
    close: () => ts.close(),
  };
}

// ---- agents -------------------------------------------------------------------------------------

export interface Machine {
  root: string;
  install: string;
  state: string;
  tokenFile: string;
}

/** A client machine: an install folder with `version` in it and an empty state folder. */
export async function machine(version: string | null, tokenValue = ''): Promise<Machine> {
  const root = await tempDir('machine');
  const install = join(root, 'app');
  const state = join(root, 'state');
  if (version) await writeTree(install, filesOf(version));
  const tokenFile = join(root, 'token');
  await fsp.writeFile(tokenFile, `${tokenValue}\n`);
  return { root, install, state, tokenFile };
}

export function configFor(m: Machine, over: Partial<AgentConfig> = {}): AgentConfig {
  return {
    install: m.install,
    state: m.state,
    protocol: 'json',
    applyBy: 'agent',
    intervalScale: 1,
    startupDelaySeconds: 300,
    checkIntervalSeconds: 86_400,
    startGraceSeconds: 10,
    stopGraceSeconds: 10,
    keepDownloads: 2,
    keepOld: 1,
    program: [],
    viaService: false,
    allowUsers: [],
    serviceSocket: join(m.root, 'agent.sock'),
    systemdDir: join(m.root, 'systemd'),
    json: false,
    ...over,
  };
}

export interface TestAgent {
  agent: Agent;
  log: MemoryLogger;
  clientId: string;
}

/** The real Agent with the real sources and reporters; only the person at the keyboard is scripted. */
export async function agentFor(c: AgentConfig, prompter: Prompter = new FixedPrompter({ kind: 'later' })): Promise<TestAgent> {
  const log = new MemoryLogger();
  const identity = await loadIdentity(c.state, c.name ?? 'test-machine');
  const { source, reporter } = buildSourceAndReporter(c, identity, log);
  return { agent: new Agent({ config: c, identity, source, reporter, prompter, log }), log, clientId: identity.clientId };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The CLI as a separate process (node + tsx), the way a service manager runs it. */
export function runCli(args: string[], env: Record<string, string> = {}, as: { uid?: number; gid?: number } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN_TS, ...args], {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...as,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}
