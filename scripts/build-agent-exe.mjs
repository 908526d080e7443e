// The agent as one executable (Node's single-executable applications), so client machines need no Node:
// dist-agent/update-fleet-agent-linux-x64. The agent is bundled into one CommonJS file, turned into a SEA blob with
// the service's SO_PEERCRED add-on as an asset (loaded from a private temp file at run time), and the blob is
// injected with postject into a copy of this Node binary. Run after scripts/build.mjs (it builds the add-on).
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'postject';

const OUT_DIR = 'dist-agent';
const exe = join(OUT_DIR, `update-fleet-agent-${process.platform}-${process.arch}${process.platform === 'win32' ? '.exe' : ''}`);
const work = join(OUT_DIR, 'work');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const main = join(work, 'agent.cjs');
await esbuild.build({
  entryPoints: ['src/agent/main.ts'], outfile: main, bundle: true, platform: 'node', format: 'cjs', target: 'node20',
  logLevel: 'warning', minify: true,
});

const assets = {};
if (process.platform === 'linux') {
  if (!existsSync('dist/peercred.node')) throw new Error('dist/peercred.node is missing: run node scripts/build.mjs first');
  assets['peercred.node'] = 'dist/peercred.node';
}
const blob = join(work, 'agent.blob');
const seaConfig = join(work, 'sea-config.json');
writeFileSync(seaConfig, JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, assets }, null, 2));
execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: 'inherit' });

rmSync(exe, { force: true });
copyFileSync(process.execPath, exe);
chmodSync(exe, 0o755);
await inject(exe, 'NODE_SEA_BLOB', readFileSync(blob), {
  sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  ...(process.platform === 'darwin' ? { machoSegmentName: 'NODE_SEA' } : {}),
});
rmSync(work, { recursive: true, force: true });
console.log(`Built ${exe}`);
