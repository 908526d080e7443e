// Paths from the network are never trusted: archives with absolute paths, "..", links out of the package or
// device files are refused before anything is written, and again while extracting.
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar';
import { AgentFailure, EXIT } from '../../src/agent/errors';
import { extractSafely, scanPackage, unsafeEntry } from '../../src/agent/stage';
import { agentFor, assertCompleteVersion, configFor, filesOf, machine, makePackage, startFleet, tempDir, writeTree, cleanupTempDirs } from './helpers';

async function evilArchive(kind: 'dotdot' | 'absolute' | 'symlink' | 'chain'): Promise<{ file: string; outside: string; work: string }> {
  const work = await tempDir('evil');
  const src = join(work, 'pkg', 'src');
  await writeTree(src, { VERSION: '2.0.0\n', 'bin/app.sh': 'echo hi\n' });
  const outside = join(work, 'pkg', 'escaped.txt');
  const file = join(work, 'evil.tar');
  if (kind === 'dotdot') {
    await fsp.writeFile(outside, 'escaped');
    await tar.c({ file, cwd: src, preservePaths: true }, ['VERSION', '../escaped.txt']);
    await fsp.rm(outside);
  } else if (kind === 'absolute') {
    await fsp.writeFile(outside, 'escaped');
    await tar.c({ file, cwd: src, preservePaths: true }, ['VERSION', outside]);
    await fsp.rm(outside);
  } else if (kind === 'chain') {
    // Issue 9: each link looks inside as text; through the tree, "a/.." is the package's parent.
    await fsp.symlink('.', join(src, 'a'));
    await fsp.symlink('a/../escaped.txt', join(src, 'b'));
    await tar.c({ file, cwd: src }, ['VERSION', 'a', 'b']);
  } else {
    await fsp.symlink('../../../../etc', join(src, 'etc-link'));
    await tar.c({ file, cwd: src }, ['VERSION', 'etc-link']);
  }
  return { file, outside, work };
}

describe('agent: staging refuses unsafe packages', function () {
  this.timeout(30_000);
  after(cleanupTempDirs);

  it('names what is unsafe about an entry', () => {
    assert.equal(unsafeEntry('bin/app', 'File'), undefined);
    assert.equal(unsafeEntry('./VERSION', 'File'), undefined);
    assert.equal(unsafeEntry('lib/link', 'SymbolicLink', '../bin/app'), undefined);
    assert.match(unsafeEntry('/etc/passwd', 'File')!, /absolute path/);
    assert.match(unsafeEntry('C:/Windows/x.dll', 'File')!, /absolute path/);
    assert.match(unsafeEntry('a/../../x', 'File')!, /"\.\."/);
    assert.match(unsafeEntry('a\\..\\x', 'File')!, /backslash/);
    assert.match(unsafeEntry('dev/sda', 'BlockDevice')!, /BlockDevice/);
    assert.match(unsafeEntry('lib/link', 'SymbolicLink', '../../etc')!, /outside the package/);
    assert.match(unsafeEntry('lib/link', 'SymbolicLink', '/etc/passwd')!, /outside the package/);
    assert.match(unsafeEntry('hard', 'Link', '../x')!, /outside the package/);
  });

  for (const kind of ['dotdot', 'absolute', 'symlink', 'chain'] as const) {
    it(`refuses an archive with a ${kind} entry, before and during extraction, writing nothing outside`, async () => {
      const evil = await evilArchive(kind);
      await assert.rejects(scanPackage(evil.file), (e: unknown) => e instanceof AgentFailure && /^Extraction failed: the package is refused because/.test(e.message));
      const dest = join(evil.work, 'dest');
      await assert.rejects(extractSafely(evil.file, dest), (e: unknown) => e instanceof AgentFailure && /^Extraction failed/.test(e.message));
      assert.ok(!existsSync(evil.outside), 'nothing escaped the destination');
    });
  }

  it('refuses a file that is not a tar archive', async () => {
    const dir = await tempDir('notar');
    const file = join(dir, 'x.tar.gz');
    await fsp.writeFile(file, 'this is not an archive at all, just text\n'.repeat(40));
    await assert.rejects(scanPackage(file), /Extraction failed/);
  });

  describe('through the agent and a real server', () => {
    it('a package with ".." is reported as an extraction failure and the install is untouched', async () => {
      const fleet = await startFleet();
      try {
        await fleet.setPolicy({ mode: 'auto', delivery: 'forced' });
        const evil = await evilArchive('dotdot');
        const bytes = await fsp.readFile(evil.file);
        await fleet.publish('2.0.0', { file: evil.file, bytes, sha256: '' });
        const m = await machine('1.0.0');
        const { agent, clientId } = await agentFor(configFor(m, { server: fleet.ts.url, token: fleet.ts.enrollToken }));
        assert.equal(await agent.check(), EXIT.failure);
        assert.equal(await assertCompleteVersion(m.install, ['1.0.0']), '1.0.0');
        assert.ok(!existsSync(`${m.install}_update_pending`));
        const d = await fleet.clientDetail(clientId);
        assert.equal(d.state, 'failed');
        assert.match(d.reason, /^Extraction failed: the package is refused because "\.\.\/escaped\.txt" climbs out with "\.\."$/);
      } finally {
        await fleet.close();
      }
    });

    it('a package without VERSION gets the announced version written; one whose VERSION disagrees is refused', async () => {
      const fleet = await startFleet();
      try {
        await fleet.setPolicy({ mode: 'auto', delivery: 'forced' });
        const files = filesOf('2.0.0');
        const noVersion = { ...files };
        delete (noVersion as Record<string, string>).VERSION;
        await fleet.publish('2.0.0', await makePackage('2.0.0', { files: noVersion }));
        const m = await machine('1.0.0');
        const { agent, log, clientId } = await agentFor(configFor(m, { server: fleet.ts.url, token: fleet.ts.enrollToken }));
        assert.equal(await agent.check(), EXIT.ok, log.text());
        assert.equal(await assertCompleteVersion(m.install, ['2.0.0']), '2.0.0');

        await fleet.publish('3.0.0', await makePackage('3.0.0', { files: { ...filesOf('3.0.0'), VERSION: '3.0.1\n' } }));
        assert.equal(await agent.check(), EXIT.failure);
        assert.equal((await fleet.clientDetail(clientId)).reason, 'Package mismatch: its VERSION file says 3.0.1, but the update is 3.0.0');
        assert.equal(await assertCompleteVersion(m.install, ['2.0.0']), '2.0.0');
      } finally {
        await fleet.close();
      }
    });
  });
});
