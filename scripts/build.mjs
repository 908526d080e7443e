// One esbuild run for the four bundles: extension (vscode host), webview (browser), server and agent CLIs.
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, chmodSync, existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const watch = process.argv.includes('--watch');
const common = { bundle: true, sourcemap: true, logLevel: 'warning', target: 'node20' };

const builds = [
  { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', external: ['vscode'] },
  { ...common, entryPoints: ['src/server/main.ts'], outfile: 'dist/server.js', platform: 'node', format: 'cjs',
    external: ['better-sqlite3', 'pg', 'pg-native'], banner: { js: '#!/usr/bin/env node' } },
  { ...common, entryPoints: ['src/server/heavy/worker.ts'], outfile: 'dist/heavyWorker.js', platform: 'node', format: 'cjs',
    external: ['better-sqlite3', 'pg', 'pg-native'] },
  { ...common, entryPoints: ['src/server/heavy/previewPart.ts'], outfile: 'dist/previewPart.js', platform: 'node', format: 'cjs',
    external: ['better-sqlite3'] },
  { ...common, entryPoints: ['src/server/heavy/csvPart.ts'], outfile: 'dist/csvPart.js', platform: 'node', format: 'cjs',
    external: ['better-sqlite3'] },
  { ...common, entryPoints: ['src/server/store/writerWorker.ts'], outfile: 'dist/writerWorker.js', platform: 'node', format: 'cjs',
    external: ['better-sqlite3'] },
  { ...common, entryPoints: ['src/agent/main.ts'], outfile: 'dist/agent.js', platform: 'node', format: 'cjs', banner: { js: '#!/usr/bin/env node' } },
  { ...common, entryPoints: ['src/demo/start.ts'], outfile: 'dist/demo.js', platform: 'node', format: 'cjs', external: ['better-sqlite3', 'pg', 'pg-native', 'playwright-core'] },
];
const webviewEntries = ['webview/policy/main.ts', 'webview/clientStatus/main.ts'].filter((f) => existsSync(f));
if (webviewEntries.length) {
  builds.push({ bundle: true, sourcemap: true, logLevel: 'warning', entryPoints: webviewEntries, outdir: 'dist/webview', outbase: 'webview', platform: 'browser', format: 'esm', target: 'es2022' });
}

mkdirSync('dist/webview', { recursive: true });
// Webview components and icons ship as files the panels load through asWebviewUri (no CDN, no node_modules in the .vsix).
cpSync('node_modules/@vscode-elements/elements/dist/bundled.js', 'dist/webview/vscode-elements.js');
cpSync('node_modules/@vscode/codicons/dist/codicon.css', 'dist/webview/codicon.css');
cpSync('node_modules/@vscode/codicons/dist/codicon.ttf', 'dist/webview/codicon.ttf');

// The agent service's SO_PEERCRED add-on (native/peercred): built by node-gyp (npm's own copy) against the local
// Node headers (no download), then put beside dist/agent.js, where the service looks for it.
function buildPeercred() {
  const dir = 'native/peercred';
  const out = join(dir, 'build', 'Release', 'peercred.node');
  const sources = ['peercred.c', 'binding.gyp'].map((f) => statSync(join(dir, f)).mtimeMs);
  if (!existsSync(out) || statSync(out).mtimeMs < Math.max(...sources)) {
    const prefix = resolve(dirname(process.execPath), '..');
    const nodeGyp = process.env.npm_config_node_gyp ?? join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    const nodedir = existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
    execFileSync(process.execPath, [nodeGyp, 'rebuild', ...nodedir, '--loglevel=warn'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  cpSync(out, 'dist/peercred.node');
}
if (process.platform === 'linux') buildPeercred();

const present = builds.filter((b) => (b.entryPoints ?? []).every((e) => existsSync(e)));
if (watch) {
  for (const b of present) (await esbuild.context(b)).watch();
} else {
  await Promise.all(present.map((b) => esbuild.build(b)));
  for (const f of ['dist/server.js', 'dist/agent.js']) if (existsSync(f)) chmodSync(f, 0o755);
}
