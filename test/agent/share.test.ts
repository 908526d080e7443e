// Seed 002's network-share source: a folder with version_info.xml and the package; copied to the local downloads
// folder, verified, staged beside the install and swapped. Reports go to <state>/reports.log (no server).
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { encodeVersionInfoXml } from '../../src/core/versionInfoXml';
import { EXIT } from '../../src/agent/errors';
import { ScriptedPrompter } from '../../src/agent/prompter';
import { agentFor, assertCompleteVersion, configFor, machine, makePackage, runCli, tempDir, type Pkg, cleanupTempDirs } from './helpers';

async function share(version: string, opts: { sha256?: string; mandatory?: boolean } = {}): Promise<{ dir: string; pkg: Pkg }> {
  const dir = await tempDir('share');
  const pkg = await makePackage(version, { dir });
  const file = `app-${version}.tar.gz`;
  await fsp.writeFile(join(dir, 'version_info.xml'), encodeVersionInfoXml({ current: version, file, sha256: opts.sha256 ?? pkg.sha256, size: pkg.bytes.length, mandatory: opts.mandatory ?? false }));
  return { dir, pkg };
}

async function reports(state: string): Promise<{ state: string; reason?: string; version?: string }[]> {
  return (await fsp.readFile(join(state, 'reports.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
}

describe('agent: network-share source (version_info.xml)', function () {
  this.timeout(30_000);
  after(cleanupTempDirs);

  it('installs the version the share announces, without asking (seed 002: "Download and install")', async () => {
    const s = await share('3.1.019');
    const m = await machine('3.1.018');
    const p = new ScriptedPrompter([{ kind: 'decline' }]);
    const { agent, log } = await agentFor(configFor(m, { source: s.dir }), p);
    assert.equal(await agent.check(), EXIT.ok, log.text());
    assert.equal(p.asked.length, 0);
    assert.equal(await assertCompleteVersion(m.install, ['3.1.019']), '3.1.019');
    assert.equal(await assertCompleteVersion(`${m.install}_old`, ['3.1.018']), '3.1.018');
    // Copied to the local folder first: the update service may not reach the share.
    assert.ok(existsSync(join(m.state, 'downloads', `${s.pkg.sha256}.pkg`)));
    assert.deepEqual((await reports(m.state)).map((r) => r.state), ['downloading', 'staged', 'up-to-date']);

    // Same version on the share and installed: nothing to do, nothing asked, nothing downloaded.
    assert.equal(await agent.check(), EXIT.ok, log.text());
    assert.match(log.text(), /Checked share .*: none/);
    assert.equal((await reports(m.state)).length, 3);
  });

  it('reads its settings from the configuration file (the CLI in its own process)', async () => {
    const s = await share('2.0.0');
    const m = await machine('1.0.0');
    await fsp.mkdir(m.state, { recursive: true });
    // Relative paths in the file are relative to the file.
    await fsp.writeFile(join(m.state, 'agent.json'), JSON.stringify({ source: s.dir, install: '../app', answer: 'now' }));
    const r = await runCli(['check', '--state', m.state]);
    assert.equal(r.code, EXIT.ok, r.stderr);
    // The default (--apply-by launcher): a check only stages; the swap waits until the program is not running.
    assert.equal(await assertCompleteVersion(m.install, ['1.0.0']), '1.0.0');
    assert.equal(await assertCompleteVersion(`${m.install}_update_pending`, ['2.0.0']), '2.0.0');
    const a = await runCli(['apply', '--state', m.state]);
    assert.equal(a.code, EXIT.ok, a.stderr);
    assert.equal(await assertCompleteVersion(m.install, ['2.0.0']), '2.0.0');
    const st = await runCli(['status', '--state', m.state]);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, /version 2\.0\.0/);
    assert.match(st.stdout, /Previous: +1\.0\.0/);
  });

  it('refuses a package that does not match the sha256 in version_info.xml', async () => {
    const s = await share('2.0.0', { sha256: 'a'.repeat(64) });
    const m = await machine('1.0.0');
    const { agent } = await agentFor(configFor(m, { source: s.dir }));
    assert.equal(await agent.check(), EXIT.failure);
    assert.equal(await assertCompleteVersion(m.install, ['1.0.0']), '1.0.0');
    const last = (await reports(m.state)).at(-1)!;
    assert.equal(last.state, 'failed');
    assert.equal(last.reason, `Checksum mismatch: expected sha256 ${'a'.repeat(64)}, got ${s.pkg.sha256}`);
  });

  it('refuses a package name that is not a plain file name', async () => {
    const s = await share('2.0.0');
    const xml = (await fsp.readFile(join(s.dir, 'version_info.xml'), 'utf8')).replace('app-2.0.0.tar.gz', '../outside/app-2.0.0.tar.gz');
    await fsp.writeFile(join(s.dir, 'version_info.xml'), xml);
    const m = await machine('1.0.0');
    const { agent, log } = await agentFor(configFor(m, { source: s.dir }));
    assert.equal(await agent.check(), EXIT.failure);
    assert.match(log.text(), /must be a plain file name/);
    assert.equal(await assertCompleteVersion(m.install, ['1.0.0']), '1.0.0');
    assert.ok(!existsSync(join(m.state, 'downloads')) || (await fsp.readdir(join(m.state, 'downloads'))).length === 0);
  });
});
