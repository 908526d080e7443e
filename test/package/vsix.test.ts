// `npm run package`: the .vsix holds only what the extension needs — no server, agent, demo, native modules or
// node_modules. Runs after `npm run build` (as `npm test` does).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('the packaged extension (.vsix)', function () {
  this.timeout(120_000);
  it('holds the extension bundle, the webview code and media, and nothing of the server or agent', function () {
    if (!existsSync('dist/extension.js')) throw new Error('Run `npm run build` first.');
    const dir = mkdtempSync(join(tmpdir(), 'uf-vsix-'));
    try {
      const out = join(dir, 'update-fleet.vsix');
      execFileSync(process.execPath, ['node_modules/@vscode/vsce/vsce', 'package', '--no-dependencies', '--allow-missing-repository', '-o', out], { stdio: 'pipe' });
      const list = execFileSync('python3', ['-c', 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', out], { encoding: 'utf8' })
        .split('\n').filter(Boolean);
      for (const want of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/webview/vscode-elements.js', 'extension/dist/webview/policy/main.js', 'extension/dist/webview/clientStatus/main.js', 'extension/media/fleet.svg']) {
        assert.ok(list.includes(want), `${want} missing from ${list.join(', ')}`);
      }
      for (const f of list) {
        assert.ok(!/node_modules|\.node$|dist\/(server|agent|demo)\.js|better-sqlite3|\/src\/|\/test\//.test(f), `${f} does not belong in the .vsix`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
