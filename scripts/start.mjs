// `npm start`: everything from a fresh clone. Installs the npm packages when node_modules is missing, installs
// code-server (VS Code in the browser) into .cache/code-server when it is missing, builds, then runs the demo
// launcher dist/demo.js (fleet server with the demo fleet + simulator + code-server with the extension).
// Arguments go to the launcher: npm start -- --clients 200 --port 7790 --no-vscode
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(command, commandArgs, what) {
  console.log(`\n> ${what}: ${command} ${commandArgs.join(' ')}`);
  const r = spawnSync(command, commandArgs, { cwd: ROOT, stdio: 'inherit' });
  return r.status === 0;
}

function desktopHelp() {
  return [
    '',
    'VS Code in the browser (code-server) could not be installed. Two ways on from here:',
    '  - get code-server yourself: `bash scripts/install-code-server.sh` needs Debian packages (chromium, ripgrep,',
    '    libkrb5-dev, libx11-dev, libxkbfile-dev, libsecret-1-dev, pkg-config) and the npm registry;',
    '    or see https://coder.com/docs/code-server/install (version 4.100.3 runs on Node 20);',
    '  - or use desktop VS Code: leave this demo running (it continues without the browser VS Code) and, in a',
    '    second terminal in this folder:',
    '      UPDATE_FLEET_SERVER_URL=http://127.0.0.1:7780 UPDATE_FLEET_TOKEN="$(cat .update-fleet/demo/admin.token)" \\',
    '        code --extensionDevelopmentPath="$PWD"',
    '',
  ].join('\n');
}

if (!existsSync(join(ROOT, 'node_modules'))) {
  const lock = existsSync(join(ROOT, 'package-lock.json'));
  if (!run(npm, lock ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'], 'installing the npm packages')) {
    console.error('\nnpm start: installing the npm packages failed (see above).');
    process.exit(1);
  }
}

const wantsVsCode = !args.includes('--no-vscode');
let launcherArgs = args;
const codeServer = join(ROOT, '.cache', 'code-server', 'node_modules', '.bin', 'code-server');
if (wantsVsCode && !existsSync(codeServer)) {
  if (!run('bash', [join('scripts', 'install-code-server.sh')], 'installing VS Code in the browser (code-server 4.100.3)')) {
    console.error(desktopHelp());
    launcherArgs = [...args, '--no-vscode'];
  }
}

if (!run(npm, ['run', '--silent', 'build'], 'building')) {
  console.error('\nnpm start: the build failed (see above).');
  process.exit(1);
}

// The launcher handles Ctrl-C itself (the terminal sends it to both of us): wait for it to finish stopping.
const child = spawn(process.execPath, [join(ROOT, 'dist', 'demo.js'), ...launcherArgs], { cwd: ROOT, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (sig === 'SIGTERM') child.kill('SIGTERM');
  });
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
