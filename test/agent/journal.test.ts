// The journal's plans on real folders: a failing step undoes the renames before it; recovery finishes a plan
// interrupted after a rename and undoes one interrupted in a work step.
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { executePlan, Journal, newRecord, recoverPlan } from '../../src/agent/journal';
import { tempDir, cleanupTempDirs } from './helpers';

describe('agent: journal', () => {
  after(cleanupTempDirs);
  it('undoes the renames already made when a later step fails, and forgets the plan', async () => {
    const d = await tempDir('journal');
    for (const n of ['a', 'c', 'd']) await fsp.mkdir(join(d, n));
    const j = new Journal(d);
    const r = newRecord('apply', [
      { name: 'one', kind: 'rename', from: join(d, 'a'), to: join(d, 'b') },
      { name: 'two', kind: 'rename', from: join(d, 'c'), to: join(d, 'd') }, // d is in the way
    ], {});
    await assert.rejects(executePlan(j, r), /is in the way/);
    assert.ok(existsSync(join(d, 'a')) && !existsSync(join(d, 'b')), 'the first rename was undone');
    assert.equal(await j.read(), undefined);
  });

  it('recovery finishes the remaining steps of a plan stopped between two renames', async () => {
    const d = await tempDir('journal');
    await fsp.mkdir(join(d, 'b')); // step one already done
    await fsp.mkdir(join(d, 'c'));
    const j = new Journal(d);
    const r = newRecord('apply', [
      { name: 'one', kind: 'rename', from: join(d, 'a'), to: join(d, 'b') },
      { name: 'two', kind: 'rename', from: join(d, 'c'), to: join(d, 'e') },
    ], {});
    r.index = 0; // killed after the first rename, before the journal moved on
    await j.write(r);
    assert.equal(await recoverPlan(j, (await j.read())!), 'finished');
    assert.ok(existsSync(join(d, 'b')) && existsSync(join(d, 'e')) && !existsSync(join(d, 'c')));
  });

  it('recovery undoes a plan stopped in a work step (its scratch output is removed)', async () => {
    const d = await tempDir('journal');
    const scratch = join(d, 'partial');
    await fsp.mkdir(scratch);
    await fsp.writeFile(join(scratch, 'half-written'), 'x');
    const j = new Journal(d);
    const r = newRecord('stage', [
      { name: 'extract', kind: 'work', scratch },
      { name: 'commit', kind: 'rename', from: scratch, to: join(d, 'pending') },
    ], {});
    await j.write(r);
    assert.equal(await recoverPlan(j, (await j.read())!), 'undone');
    assert.ok(!existsSync(scratch) && !existsSync(join(d, 'pending')));
    assert.equal(await j.read(), undefined);
  });
});
