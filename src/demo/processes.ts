// Starting and stopping the pieces of a demo or a test run: the fleet server (dist/server.js), code-server with the
// built extension installed, and process trees that must not outlive the run. Used by the `npm start` launcher
// (src/demo/start.ts) and by the end-to-end harness (test/e2e). Node built-ins only.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { dirname, join } from 'node:path';

export const CODE_SERVER_VERSION = '4.100.3';
export const EXTENSION_ID = 'update-fleet.update-fleet';

export function randomToken(prefix: string): string {
  return `${prefix}-${randomBytes(18).toString('base64url')}`;
}

/** A TCP port nobody listens on right now (the OS picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** True when something accepts connections on host:port. */
export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Every descendant pid of `pid` (children first, deepest last), from /proc via ps. */
function descendants(pid: number): number[] {
  let table: string;
  try {
    table = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  } catch {
    return [];
  }
  const kids = new Map<number, number[]>();
  for (const line of table.split('\n')) {
    const [p, pp] = line.trim().split(/\s+/).map(Number);
    if (!p || pp === undefined) continue;
    (kids.get(pp) ?? kids.set(pp, []).get(pp)!).push(p);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const k of kids.get(p) ?? []) {
      out.push(k);
      walk(k);
    }
  };
  walk(pid);
  return out;
}

/** Signal a process and everything it started (code-server forks its extension host and watchers). */
export function killTree(pid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const p of [pid, ...descendants(pid)]) {
    try {
      process.kill(p, signal);
    } catch {
      // already gone
    }
  }
}

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal name) when the process has exited. */
  readonly exited: Promise<number | string>;
  readonly hasExited: () => boolean;
  /** The last few KB of its output, for error messages. */
  tail(): string;
  /** SIGTERM to the whole tree, SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Output goes here (appended); without it, output is kept only in memory (tail). */
  logFile?: string;
  /** Also echo output to this process's stdout, each line prefixed with `[name]`. */
  echo?: boolean;
  /** Called with each chunk of output. */
  onOutput?: (text: string) => void;
}

const live = new Set<Proc>();

/** Stop everything still running that was started here (best effort, synchronous signals). */
export function killAllSync(): void {
  for (const p of live) if (!p.hasExited() && p.child.pid) killTree(p.child.pid, 'SIGKILL');
}

export function spawnProc(name: string, command: string, args: string[], opts: SpawnOptions = {}): Proc {
  let log: WriteStream | undefined;
  if (opts.logFile) {
    mkdirSync(dirname(opts.logFile), { recursive: true });
    log = createWriteStream(opts.logFile, { flags: 'a' });
  }
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  let done = false;
  const onData = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-8000);
    log?.write(chunk);
    opts.onOutput?.(text);
    if (opts.echo) for (const line of text.split('\n')) if (line.trim()) process.stdout.write(`[${name}] ${line}\n`);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) => {
    child.once('error', (err) => {
      tail += `\n${String(err)}`;
      done = true;
      resolve('error');
    });
    child.once('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    });
  }).finally(() => {
    live.delete(proc);
    log?.end();
  });
  const proc: Proc = {
    name,
    child,
    exited,
    hasExited: () => done,
    tail: () => tail,
    async stop(graceMs = 5000) {
      if (done || !child.pid) return;
      killTree(child.pid, 'SIGTERM');
      const t = setTimeout(() => {
        if (!done && child.pid) killTree(child.pid, 'SIGKILL');
      }, graceMs);
      await exited;
      clearTimeout(t);
      // Anything it left behind (grandchildren that ignored SIGTERM) goes too.
      if (child.pid) for (const p of descendants(child.pid)) killTree(p, 'SIGKILL');
    },
  };
  live.add(proc);
  return proc;
}

/** GET `url` until it answers `status` (default 200); fails early when `proc` exits, or after `timeoutMs`. */
export async function waitForHttp(url: string, opts: { timeoutMs?: number; proc?: Proc; headers?: Record<string, string>; status?: number } = {}): Promise<void> {
  const end = Date.now() + (opts.timeoutMs ?? 30_000);
  let last = '';
  for (;;) {
    if (opts.proc?.hasExited()) {
      throw new Error(`${opts.proc.name} exited before ${url} answered. Its output:\n${opts.proc.tail()}`);
    }
    const status = await new Promise<number>((resolve) => {
      const req = http.get(url, { headers: opts.headers, timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => {
        last = e.message;
        resolve(0);
      });
    });
    if (status === (opts.status ?? 200)) return;
    if (status) last = `HTTP ${status}`;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${url} (${last || 'no answer'}).${opts.proc ? ` ${opts.proc.name} output:\n${opts.proc.tail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// ---- the fleet server ------------------------------------------------------------------------------------------

export interface FleetServer {
  url: string;
  adminToken: string;
  enrollToken: string;
  dataDir: string;
  proc: Proc;
  stop(): Promise<void>;
}

export interface FleetServerOptions {
  /** The repository (holds dist/server.js). */
  root: string;
  dataDir: string;
  host?: string;
  port: number;
  demo?: boolean;
  adminToken: string;
  enrollToken: string;
  logFile?: string;
  echo?: boolean;
  /** Another server script to run instead of dist/server.js (UPDATE_FLEET_SERVER_JS). */
  serverJs?: string;
  timeoutMs?: number;
}

export function serverScript(root: string, override?: string): string {
  return override ?? process.env.UPDATE_FLEET_SERVER_JS ?? join(root, 'dist', 'server.js');
}

/** `node dist/server.js --data DIR --host H --port P [--demo]`, tokens in its environment; resolves when healthy. */
export async function startFleetServer(o: FleetServerOptions): Promise<FleetServer> {
  const host = o.host ?? '127.0.0.1';
  const script = serverScript(o.root, o.serverJs);
  if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` first.`);
  mkdirSync(o.dataDir, { recursive: true });
  const args = [script, '--data', o.dataDir, '--host', host, '--port', String(o.port), ...(o.demo ? ['--demo'] : [])];
  const proc = spawnProc('server', process.execPath, args, {
    cwd: o.root,
    env: { ...process.env, UPDATE_FLEET_ADMIN_TOKEN: o.adminToken, UPDATE_FLEET_ENROLL_TOKEN: o.enrollToken },
    logFile: o.logFile,
    echo: o.echo,
  });
  const url = `http://${host}:${o.port}`;
  try {
    await waitForHttp(`${url}/api/v1/health`, { proc, timeoutMs: o.timeoutMs ?? 60_000 });
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { url, adminToken: o.adminToken, enrollToken: o.enrollToken, dataDir: o.dataDir, proc, stop: () => proc.stop() };
}

// ---- the extension and code-server -----------------------------------------------------------------------------

/** Copy the built extension (package.json, dist/, media/, LICENSE, README) into `extensionsDir` as publisher.name-version. */
export function installExtension(root: string, extensionsDir: string): string {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  if (!existsSync(join(root, 'dist', 'extension.js'))) throw new Error(`${join(root, 'dist', 'extension.js')} is missing: run \`npm run build\` first.`);
  const target = join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(join(target, 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(target, 'package.json'));
  // The extension's own files only: the server, agent and demo bundles stay out (as in the .vsix).
  for (const f of ['extension.js', 'extension.js.map']) if (existsSync(join(root, 'dist', f))) cpSync(join(root, 'dist', f), join(target, 'dist', f));
  if (existsSync(join(root, 'dist', 'webview'))) cpSync(join(root, 'dist', 'webview'), join(target, 'dist', 'webview'), { recursive: true });
  if (existsSync(join(root, 'media'))) cpSync(join(root, 'media'), join(target, 'media'), { recursive: true });
  for (const f of ['LICENSE', 'README.md']) if (existsSync(join(root, f))) cpSync(join(root, f), join(target, f));
  return target;
}

export function codeServerBin(root: string): string {
  return join(root, '.cache', 'code-server', 'node_modules', '.bin', 'code-server');
}

export interface CodeServer {
  /** http://host:port */
  url: string;
  /** The page that opens the workspace folder. */
  workbenchUrl: string;
  folder: string;
  proc: Proc;
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  root: string;
  host?: string;
  port: number;
  /** Holds User/settings.json, secrets, state. */
  userDataDir: string;
  extensionsDir: string;
  /** The workspace folder to open. */
  folder: string;
  /** Added to code-server's environment (the extension host inherits it). */
  env?: Record<string, string>;
  /** Written to User/settings.json before start (merged over quiet defaults). */
  settings?: Record<string, unknown>;
  logFile?: string;
  echo?: boolean;
  timeoutMs?: number;
}

/** Settings that keep the workbench quiet and predictable: no welcome page, no trust prompt, no tips. */
export const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'extensions.ignoreRecommendations': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'chat.commandCenter.enabled': false,
  'workbench.layoutControl.enabled': false,
  'files.simpleDialog.enable': true,
  'window.commandCenter': false,
  // The demo's workspace sits inside this repository: no "open the parent git repository?" prompt.
  'git.openRepositoryInParentFolders': 'never',
};

/** code-server with the flags that work offline; resolves when its /healthz answers. */
export async function startCodeServer(o: CodeServerOptions): Promise<CodeServer> {
  const bin = codeServerBin(o.root);
  if (!existsSync(bin)) throw new Error(`code-server is not installed (${bin}): run \`bash scripts/install-code-server.sh\`.`);
  const host = o.host ?? '127.0.0.1';
  for (const d of [o.userDataDir, o.extensionsDir, o.folder, join(o.userDataDir, 'User')]) mkdirSync(d, { recursive: true });
  const settingsFile = join(o.userDataDir, 'User', 'settings.json');
  let existing: Record<string, unknown> = {};
  try {
    existing = JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
  } catch {
    // first run
  }
  writeFileSync(settingsFile, JSON.stringify({ ...QUIET_SETTINGS, ...existing, ...(o.settings ?? {}) }, null, 2));
  // Its own config file, so the machine's ~/.config/code-server/config.yaml (password auth) plays no part.
  const config = join(o.userDataDir, 'code-server.yaml');
  writeFileSync(config, `bind-addr: ${host}:${o.port}\nauth: none\ncert: false\n`);
  const args = [
    '--config', config,
    '--auth', 'none',
    '--bind-addr', `${host}:${o.port}`,
    '--user-data-dir', o.userDataDir,
    '--extensions-dir', o.extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    o.folder,
  ];
  const env: NodeJS.ProcessEnv = { ...process.env, ...(o.env ?? {}) };
  // Nothing from an outer VS Code (e.g. a terminal inside one) should leak into this one.
  for (const k of Object.keys(env)) if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE') delete env[k];
  const proc = spawnProc('code-server', bin, args, { cwd: o.root, env, logFile: o.logFile, echo: o.echo });
  const url = `http://${host}:${o.port}`;
  try {
    await waitForHttp(`${url}/healthz`, { proc, timeoutMs: o.timeoutMs ?? 60_000 });
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { url, workbenchUrl: `${url}/?folder=${encodeURIComponent(o.folder)}`, folder: o.folder, proc, stop: () => proc.stop() };
}
