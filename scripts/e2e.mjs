// End-to-end tests in a real VS Code (the last step of `npm test`; `npm run build` has run before it):
//   (a) the in-host mocha suite (test/extension) inside code-server's extension host, against its own fleet server;
//   (b) the Playwright UI suite (test/e2e/*.test.ts) driving the workbench in Debian's Chromium, against another
//       fresh fleet server with the demo fleet.
// Each part runs as a child process with a time limit; on a timeout or Ctrl-C its whole process tree is killed
// (fleet server, code-server and its extension host, Chromium). Exit code 0 only when both parts passed.
// Screenshots: test-results/screenshots/. Logs (server, code-server, workbench): test-results/logs/.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'test-results');
const SCREENSHOTS = join(RESULTS, 'screenshots');
const LOGS = join(RESULTS, 'logs');
const SUITE = join(ROOT, '.cache', 'extension-suite', 'index.js');
const CODE_SERVER = join(ROOT, '.cache', 'code-server', 'node_modules', '.bin', 'code-server');
const CHROMIUM = process.env.UPDATE_FLEET_CHROMIUM ?? '/usr/bin/chromium';
const SERVER_JS = process.env.UPDATE_FLEET_SERVER_JS ?? join(ROOT, 'dist', 'server.js');
const MINUTE = 60_000;
const IN_HOST_TIMEOUT = Number(process.env.UPDATE_FLEET_E2E_INHOST_MINUTES ?? 5) * MINUTE;
const UI_TIMEOUT = Number(process.env.UPDATE_FLEET_E2E_UI_MINUTES ?? 8) * MINUTE;

const args = process.argv.slice(2);
const only = args.includes('--in-host') ? 'in-host' : args.includes('--ui') ? 'ui' : 'all';

function fail(message) {
  console.error(`\ne2e: ${message}`);
  process.exit(1);
}

// ---- prerequisites ---------------------------------------------------------------------------------------------
for (const [file, fix] of [
  [join(ROOT, 'dist', 'extension.js'), 'run `npm run build` first'],
  [join(ROOT, 'dist', 'webview', 'policy', 'main.js'), 'run `npm run build` first'],
  [SERVER_JS, 'run `npm run build` first (the fleet server is dist/server.js)'],
  [CODE_SERVER, 'run `bash scripts/install-code-server.sh` (or `bash scripts/setup.sh`): the tests run the extension in code-server'],
  [CHROMIUM, 'install Debian\'s chromium (`bash scripts/install-code-server.sh` does); never `npx playwright install`'],
]) {
  if (!existsSync(file)) fail(`${relative(ROOT, file) || file} is missing: ${fix}.`);
}

// ---- processes -------------------------------------------------------------------------------------------------
const children = new Set();

function descendants(pid) {
  let table = '';
  try {
    table = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  } catch {
    return [];
  }
  const kids = new Map();
  for (const line of table.split('\n')) {
    const [p, pp] = line.trim().split(/\s+/).map(Number);
    if (!p) continue;
    if (!kids.has(pp)) kids.set(pp, []);
    kids.get(pp).push(p);
  }
  const out = [];
  const walk = (p) => {
    for (const k of kids.get(p) ?? []) {
      out.push(k);
      walk(k);
    }
  };
  walk(pid);
  return out;
}

function killTree(pid, signal) {
  for (const p of [pid, ...descendants(pid)]) {
    try {
      process.kill(p, signal);
    } catch {
      // gone
    }
  }
}

function duration(ms) {
  return ms >= MINUTE ? `${Math.round((ms / MINUTE) * 10) / 10} min` : `${Math.round(ms / 1000)} s`;
}

/** Run a part; resolves with its exit code (124 after a timeout). */
function runPart(name, command, commandArgs, timeoutMs) {
  return new Promise((resolve) => {
    console.log(`\n=== e2e ${name} (time limit ${duration(timeoutMs)}) ===\n`);
    const started = Date.now();
    const child = spawn(command, commandArgs, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '0', UPDATE_FLEET_E2E_TMP: RUN_TMP } });
    children.add(child);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`\ne2e: ${name} did not finish within ${duration(timeoutMs)}: stopping it and everything it started.`);
      // Remember the tree now: once the root exits, its children are re-parented and no longer findable.
      const tree = [child.pid, ...descendants(child.pid)];
      for (const p of tree) killTree(p, 'SIGTERM');
      setTimeout(() => {
        for (const p of tree) killTree(p, 'SIGKILL');
      }, 5_000).unref();
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      // Nothing it started may outlive it.
      for (const p of descendants(child.pid)) killTree(p, 'SIGKILL');
      const secs = Math.round((Date.now() - started) / 1000);
      const result = timedOut ? 124 : (code ?? (signal ? 1 : 0));
      console.log(`\n=== e2e ${name}: ${result === 0 ? 'passed' : `FAILED (${timedOut ? 'timed out' : `exit ${code ?? signal}`})`} in ${secs} s ===`);
      resolve(result);
    });
  });
}

// Every temp folder of the run (databases, code-server user data, workspaces) lives under one folder, removed at
// exit even when a part was killed before it could clean up.
const RUN_TMP = mkdtempSync(join(tmpdir(), 'update-fleet-e2e-run-'));

function stopAll() {
  for (const c of children) killTree(c.pid, 'SIGKILL');
  rmSync(RUN_TMP, { recursive: true, force: true, maxRetries: 3 });
}
process.on('SIGINT', () => {
  stopAll();
  process.exit(130);
});
process.on('SIGTERM', () => {
  stopAll();
  process.exit(143);
});
process.on('exit', stopAll);

// ---- run -------------------------------------------------------------------------------------------------------
rmSync(SCREENSHOTS, { recursive: true, force: true });
rmSync(LOGS, { recursive: true, force: true });
mkdirSync(SCREENSHOTS, { recursive: true });
mkdirSync(LOGS, { recursive: true });

const results = {};
const node = process.execPath;

if (only !== 'ui') {
  // The in-host suite, bundled the way test/extension/README.md says (mocha inside, vscode external).
  await esbuild.build({
    entryPoints: [join(ROOT, 'test', 'extension', 'index.ts')],
    outfile: SUITE,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    sourcemap: true,
    logLevel: 'error',
  });
  results['in-host suite (test/extension)'] = await runPart('in-host suite (test/extension in code-server\'s extension host)', node, ['--import=tsx', join('test', 'e2e', 'inHost.ts'), SUITE], IN_HOST_TIMEOUT);
}

if (only !== 'in-host') {
  const files = readdirSync(join(ROOT, 'test', 'e2e')).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join('test', 'e2e', f));
  // tsx is given to node itself, so mocha runs in this one process (no re-spawned child to lose track of).
  results['UI suite (test/e2e)'] = await runPart('UI suite (test/e2e: Playwright + Chromium on the workbench)', node, [
    '--import=tsx',
    join('node_modules', 'mocha', 'bin', 'mocha.js'),
    '--require', join('test', 'e2e', 'fixture.ts'),
    '--timeout', '60000',
    '--slow', '10000',
    '--reporter', 'spec',
    '--exit',
    ...files,
  ], UI_TIMEOUT);
}

const shots = existsSync(SCREENSHOTS) ? readdirSync(SCREENSHOTS).filter((f) => f.endsWith('.png')) : [];
console.log('\n=== e2e summary ===');
for (const [name, code] of Object.entries(results)) console.log(`  ${code === 0 ? 'passed' : 'FAILED'}  ${name}`);
console.log(`  screenshots (${shots.length}): ${relative(process.cwd(), SCREENSHOTS) || SCREENSHOTS}/`);
console.log(`  logs: ${relative(process.cwd(), LOGS) || LOGS}/`);
const failed = Object.values(results).some((c) => c !== 0);
process.exitCode = failed ? 1 : 0;
