// Runs the in-host mocha suite (test/extension, bundled to .cache/extension-suite/index.js by scripts/e2e.mjs) inside
// the real extension host of code-server, the way @vscode/test-electron would: the workbench is opened with a
// `payload` naming the extension under development and the tests, and calls window.codeAutomationExit(code) when
// the suite is done (0 = passed). Its own fleet server with a fresh database: the suite changes data.
//
//   node --import=tsx test/e2e/inHost.ts [path/to/bundled/index.js]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { format } from 'node:util';
import { killAllSync } from '../../src/demo/processes';
import { LOGS, ROOT, SCREENSHOTS, startStack, type Stack } from './harness';

/** Workbench start-up chatter (kept in the log file, not echoed). */
const NOISE = /Resolving connection token|Resolved connection token|Creating a socket|web worker extension host|Updating additional builtin|Service Worker|allow-scripts and allow-same-origin|ChatSessionStore|Overwriting extension|Failed to load resource|open-vsx\.org|^\s+at /;

const SUITE_TIMEOUT_MS = Number(process.env.UPDATE_FLEET_INHOST_TIMEOUT_MS ?? 5 * 60_000);

async function main(): Promise<number> {
  const suite = resolve(process.argv[2] ?? join(ROOT, '.cache', 'extension-suite', 'index.js'));
  if (!existsSync(suite)) throw new Error(`${suite} is missing: scripts/e2e.mjs bundles it from test/extension/index.ts.`);
  let stack: Stack | undefined;
  try {
    // The extension comes from extensionDevelopmentPath (this repository), not from the extensions dir.
    stack = await startStack({ name: 'in-host', installExtension: false });
    const { page, codeServer } = stack;
    const authority = new URL(codeServer.url).host;
    const payload = [
      ['extensionDevelopmentPath', `vscode-remote://${authority}${ROOT}`],
      ['extensionTestsPath', `vscode-remote://${authority}${suite}`],
    ];
    const lines: string[] = [];
    const print = (line: string) => {
      lines.push(line);
      process.stdout.write(`[in-host] ${line}\n`);
    };
    let finish: (code: number) => void = () => undefined;
    const exitCode = new Promise<number>((r) => (finish = r));
    // The workbench sends every console line here, the extension host's too (mocha's spec reporter): all of it goes
    // to the log file, the workbench's own chatter is left out of the terminal.
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      const text = format(...(Array.isArray(args) ? args : [args]));
      for (const l of text.split('\n')) {
        if (!l.trim()) continue;
        lines.push(l);
        if (!NOISE.test(l)) process.stdout.write(`[in-host] ${type === 'error' ? 'ERR ' : ''}${l}\n`);
      }
    });
    await page.exposeFunction('codeAutomationExit', (code: number, logs?: { relativePath: string; contents: string }[]) => {
      for (const l of logs ?? []) {
        const file = join(LOGS, 'in-host-workbench', l.relativePath);
        mkdirSync(resolve(file, '..'), { recursive: true });
        writeFileSync(file, l.contents);
      }
      finish(code);
    });
    page.on('pageerror', (e) => print(`page error: ${e.message}`));
    const url = `${codeServer.workbenchUrl}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>((r) => {
      timer = setTimeout(() => {
        print(`the in-host suite did not finish within ${SUITE_TIMEOUT_MS / 1000} s`);
        r(124);
      }, SUITE_TIMEOUT_MS);
    });
    const code = await Promise.race([exitCode, timeout]);
    clearTimeout(timer);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'in-host-suite-end.png') }).catch(() => undefined);
    writeFileSync(join(LOGS, 'in-host-suite.log'), lines.join('\n') + '\n');
    print(code === 0 ? 'in-host suite passed' : `in-host suite FAILED (exit code ${code})`);
    return code;
  } finally {
    await stack?.stop();
  }
}

process.on('SIGTERM', () => {
  killAllSync();
  process.exit(143);
});
main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`in-host: ${(err as Error).stack ?? err}`);
    killAllSync();
    process.exit(1);
  },
);
