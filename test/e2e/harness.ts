// The end-to-end stack: a fleet server with the demo fleet on a free port and a fresh database, code-server with
// the built extension and the server's URL and admin token in its environment, and Debian's Chromium driven by
// playwright-core. Everything lives in one temp folder and stops in stop(), even after a failure.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import {
  freePort, installExtension, randomToken, startCodeServer, startFleetServer, type CodeServer, type FleetServer,
} from '../../src/demo/processes';

export const ROOT = resolve(__dirname, '..', '..');
export const RESULTS = join(ROOT, 'test-results');
export const SCREENSHOTS = join(RESULTS, 'screenshots');
export const LOGS = join(RESULTS, 'logs');

export const CHROMIUM = process.env.UPDATE_FLEET_CHROMIUM ?? '/usr/bin/chromium';
/** Flags that work for Debian's Chromium on a machine without a display, GPU or internet. */
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

export interface Stack {
  tmp: string;
  server: FleetServer;
  codeServer: CodeServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Stop the fleet server (the console loses it). */
  stopServer(): Promise<void>;
  /** Start it again on the same port, data and tokens (the console should find it by itself). */
  startServerAgain(): Promise<FleetServer>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Name for the log files (server-<name>.log, code-server-<name>.log). */
  name: string;
  /** Install the built extension into the extensions dir (false: the in-host suite loads it as a development extension). */
  installExtension?: boolean;
  /** Extra environment for code-server (and so for the extension host). */
  env?: Record<string, string>;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** Start the server, code-server and Chromium. On any failure, what was started is stopped again. */
export async function startStack(o: StackOptions): Promise<Stack> {
  const parent = process.env.UPDATE_FLEET_E2E_TMP ?? tmpdir();
  mkdirSync(parent, { recursive: true });
  const tmp = mkdtempSync(join(parent, `update-fleet-e2e-${o.name}-`));
  mkdirSync(LOGS, { recursive: true });
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stoppers.splice(0).reverse()) await s().catch((err) => console.error(`e2e: stopping failed: ${(err as Error).message}`));
    // VS Code's own logs (the extension host's, the extension's "Update Fleet" output) outlive the temp folder.
    const vscodeLogs = join(tmp, 'user-data', 'logs');
    if (existsSync(vscodeLogs)) cpSync(vscodeLogs, join(LOGS, `vscode-${o.name}`), { recursive: true });
    rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    const serverOptions = {
      root: ROOT,
      dataDir: join(tmp, 'data'),
      port: await freePort(),
      demo: true,
      adminToken: randomToken('admin'),
      enrollToken: randomToken('enroll'),
      logFile: join(LOGS, `server-${o.name}.log`),
    };
    let server = await startFleetServer(serverOptions);
    let serverUp = true;
    stoppers.push(async () => { if (serverUp) await server.stop(); });
    const extensionsDir = join(tmp, 'extensions');
    mkdirSync(extensionsDir, { recursive: true });
    if (o.installExtension !== false) installExtension(ROOT, extensionsDir);
    const codeServer = await startCodeServer({
      root: ROOT,
      port: await freePort(),
      userDataDir: join(tmp, 'user-data'),
      extensionsDir,
      folder: join(tmp, 'workspace'),
      // The enrollment token is for the in-host suite's agents (test/extension/identity.test.ts), not the extension.
      env: { UPDATE_FLEET_SERVER_URL: server.url, UPDATE_FLEET_TOKEN: server.adminToken, UPDATE_FLEET_E2E_ENROLL_TOKEN: server.enrollToken, ...(o.env ?? {}) },
      logFile: join(LOGS, `code-server-${o.name}.log`),
    });
    stoppers.push(() => codeServer.stop());
    const browser = await launchChromium();
    stoppers.push(() => browser.close());
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const stack: Stack = {
      tmp, server, codeServer, browser, context, page, stop,
      async stopServer() {
        serverUp = false;
        await server.stop();
      },
      async startServerAgain() {
        server = await startFleetServer({ ...serverOptions, logFile: join(LOGS, `server-${o.name}-again.log`) });
        serverUp = true;
        stack.server = server;
        return server;
      },
    };
    return stack;
  } catch (err) {
    await stop();
    throw err;
  }
}
