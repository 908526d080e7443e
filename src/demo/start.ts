// The `npm start` demo (built to dist/demo.js; scripts/start.mjs installs and builds first):
//   1. the fleet server with the demo fleet on 127.0.0.1:7780, data in .update-fleet/demo (kept across runs);
//   2. the fleet simulator: virtual clients checking in, updating and now and then failing, through the agent API;
//   3. code-server (VS Code in the browser) on 127.0.0.1:8780 with the extension installed and the server's URL and
//      admin token in its environment, so the extension is connected and signed in.
// Ctrl-C stops all of it.
//
//   node dist/demo.js [--port 7780] [--vscode-port 8780] [--clients 50] [--no-vscode] [--data DIR]
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runSimulator, type Simulator } from '../agent/simulator';
import {
  codeServerBin, installExtension, killAllSync, portInUse, randomToken, startCodeServer, startFleetServer,
  type CodeServer, type FleetServer,
} from './processes';

const ROOT = resolve(__dirname, '..');
const HOST = '127.0.0.1';

const USAGE = `Usage: npm start -- [--port 7780] [--vscode-port 8780] [--clients 50] [--no-vscode] [--data DIR]

  --port N          the fleet server's port (default 7780)
  --vscode-port N   VS Code in the browser (code-server) port (default 8780)
  --clients N       simulated clients checking in next to the demo fleet (default 50; 0: no simulator)
  --no-vscode       only the server and the simulator (use desktop VS Code, see below)
  --data DIR        where the demo keeps its database, tokens and VS Code state (default .update-fleet/demo)`;

interface Options {
  port: number;
  vscodePort: number;
  clients: number;
  vscode: boolean;
  dataDir: string;
}

function fail(message: string): never {
  process.stderr.write(`\nnpm start: ${message}\n`);
  process.exit(1);
}

function options(argv: string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' }, 'vscode-port': { type: 'string' }, clients: { type: 'string' },
        'no-vscode': { type: 'boolean' }, data: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    fail(`${(err as Error).message}\n\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const int = (name: string, v: string | undefined, dflt: number, min: number, max: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} must be a whole number from ${min} to ${max}, not "${v}".`);
    return n;
  };
  return {
    port: int('port', values.port, 7780, 1, 65535),
    vscodePort: int('vscode-port', values['vscode-port'], 8780, 1, 65535),
    clients: int('clients', values.clients, 50, 0, 100_000),
    vscode: !values['no-vscode'],
    dataDir: resolve(values.data ?? join(ROOT, '.update-fleet', 'demo')),
  };
}

/** The demo keeps its tokens beside its database (0600), so a browser signed in yesterday still works today. */
function demoToken(file: string, prefix: string): string {
  if (existsSync(file)) {
    const t = readFileSync(file, 'utf8').trim();
    if (t) return t;
  }
  const t = randomToken(prefix);
  writeFileSync(file, `${t}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return t;
}

function desktopHint(server: FleetServer | undefined, tokenFile: string): string {
  const url = server?.url ?? `http://${HOST}:7780`;
  return `  Desktop VS Code instead of the browser (from this folder, after \`npm run build\`):
    UPDATE_FLEET_SERVER_URL=${url} UPDATE_FLEET_TOKEN="$(cat ${relative(process.cwd(), tokenFile) || tokenFile})" code --extensionDevelopmentPath="$PWD"`;
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  const logs = join(o.dataDir, 'logs');
  const adminFile = join(o.dataDir, 'admin.token');
  const adminToken = demoToken(adminFile, 'ufa_demo');
  const enrollToken = demoToken(join(o.dataDir, 'enroll.token'), 'ufe_demo');

  if (await portInUse(o.port, HOST)) fail(`port ${o.port} is in use (is another \`npm start\` running?). Stop it, or pick another port with --port.`);
  if (o.vscode && (await portInUse(o.vscodePort, HOST))) fail(`port ${o.vscodePort} is in use. Stop what runs there, or pick another with --vscode-port.`);
  if (o.vscode && !existsSync(codeServerBin(ROOT))) {
    fail(`code-server is not installed: run \`bash scripts/install-code-server.sh\` (or \`npm start\`, which does), or start with --no-vscode.\n\n${desktopHint(undefined, adminFile)}`);
  }

  let server: FleetServer | undefined;
  let sim: Simulator | undefined;
  let code: CodeServer | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let stopping = false;
  const stop = async (exitCode: number): Promise<never> => {
    if (stopping) {
      killAllSync();
      process.exit(exitCode || 130);
    }
    stopping = true;
    if (ticker) clearInterval(ticker);
    process.stdout.write('\nStopping the demo…\n');
    await sim?.stop().catch(() => undefined);
    await code?.stop().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    process.stdout.write('Stopped. The demo data stays in ' + (relative(process.cwd(), o.dataDir) || o.dataDir) + ' for the next `npm start`.\n');
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  process.on('exit', () => killAllSync());

  try {
    process.stdout.write(`Starting the fleet server (demo fleet, data in ${relative(process.cwd(), o.dataDir) || o.dataDir})…\n`);
    server = await startFleetServer({
      root: ROOT, dataDir: o.dataDir, host: HOST, port: o.port, demo: true, adminToken, enrollToken,
      logFile: join(logs, 'server.log'), echo: true,
    });
    void server.proc.exited.then((c) => {
      if (!stopping) {
        process.stderr.write(`\nThe fleet server stopped unexpectedly (${c}); see ${join(logs, 'server.log')}.\n`);
        void stop(1);
      }
    });

    if (o.clients > 0) {
      sim = startFleetSimulator(server, o.clients);
      placeSimulatedClients(server.url, adminToken);
    }

    if (o.vscode) {
      process.stdout.write('Starting VS Code in the browser (code-server) with the Update Fleet extension…\n');
      const vscodeDir = join(o.dataDir, 'vscode');
      const extensionsDir = join(vscodeDir, 'extensions');
      installExtension(ROOT, extensionsDir);
      code = await startCodeServer({
        root: ROOT, host: HOST, port: o.vscodePort,
        userDataDir: join(vscodeDir, 'user-data'),
        extensionsDir,
        folder: join(o.dataDir, 'workspace'),
        env: { UPDATE_FLEET_SERVER_URL: server.url, UPDATE_FLEET_TOKEN: adminToken },
        logFile: join(logs, 'code-server.log'),
      });
      void code.proc.exited.then((c) => {
        if (!stopping) {
          process.stderr.write(`\ncode-server stopped unexpectedly (${c}); see ${join(logs, 'code-server.log')}.\n`);
          void stop(1);
        }
      });
    }
  } catch (err) {
    process.stderr.write(`\nnpm start: ${(err as Error).message}\n`);
    await stop(1);
  }

  const rel = (p: string) => relative(process.cwd(), p) || p;
  const lines = [
    '',
    'Update Fleet demo is running.',
    '',
    ...(code ? [`  VS Code (in the browser):  ${code.workbenchUrl}`, '                             open it, then the Update Fleet icon in the activity bar (already signed in)'] : []),
    `  Fleet server:              ${server!.url}   (API document: ${server!.url}/api/v1/openapi.json)`,
    `  Admin token:               in ${rel(adminFile)}   (enrollment token for agents: ${rel(join(o.dataDir, 'enroll.token'))})`,
    ...(sim ? [`  Simulated clients:         ${o.clients} (names like HQ-PC-0001), checking in through the agent API`] : []),
    `  Logs:                      ${rel(logs)}/`,
    '',
    ...(code ? [] : [desktopHint(server, adminFile), '']),
    'Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  if (sim) {
    ticker = setInterval(() => {
      const s = sim!.stats();
      process.stdout.write(`[simulator] ${s.clients} clients · ${s.checkins} check-ins · ${s.reports} reports · ${s.failures} failures · ${s.errors} errors\n`);
    }, 60_000);
    ticker.unref();
  }
}

/**
 * The simulator from src/agent/simulator.ts: virtual clients next to the demo fleet, on the demo's versions, with
 * check intervals scaled down so a daily check comes about every 45 s and an update takes seconds.
 */
function startFleetSimulator(server: FleetServer, count: number): Simulator {
  return runSimulator({
    server: server.url,
    token: server.enrollToken,
    count,
    failureRate: 0.08,
    intervalScale: 0.0005,
    prefix: 'demo',
    startVersions: ['3.58.0.0', '3.59.127.0', '3.58.0.0', '1.2.2'],
    log: (m) => process.stdout.write(`[simulator] ${m}\n`),
  });
}

/**
 * New clients land in Default (No Upgrade, seed 001), where nothing happens. For a lively demo, the launcher moves
 * simulated clients into the demo's groups as they first check in — as an administrator would, through the API.
 */
function placeSimulatedClients(serverUrl: string, adminToken: string): void {
  const groups = ['pilot', 'office', 'warehouse'];
  let n = 0;
  let rounds = 0;
  const api = (path: string, init?: RequestInit) =>
    fetch(`${serverUrl}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', ...(init?.headers ?? {}) } });
  const round = async (): Promise<void> => {
    const res = await api('/clients?group=default&limit=500');
    if (!res.ok) return;
    const page = (await res.json()) as { items: Array<{ id: string }> };
    for (const c of page.items) {
      if (c.id.startsWith('demo-')) continue; // the demo fleet's own unassigned machines stay in Default
      await api(`/clients/${encodeURIComponent(c.id)}`, { method: 'PATCH', body: JSON.stringify({ groupId: groups[n++ % groups.length] }) });
    }
  };
  const timer = setInterval(() => {
    if (++rounds > 60) clearInterval(timer);
    round().catch(() => { /* the server is stopping */ });
  }, 5_000);
  timer.unref();
}

void main();
