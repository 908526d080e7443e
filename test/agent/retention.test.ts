// Retention: the newest N verified packages stay in <state>/downloads (seed 003: kept for a manual rollback) and
// N previous versions beside the install (_old, _old.2, …); the rest is removed. Remind N is fitted to the policy.
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../src/agent/errors';
import { loadAgentState } from '../../src/agent/agentState';
import { FixedPrompter } from '../../src/agent/prompter';
import { agentFor, assertCompleteVersion, cleanupTempDirs, configFor, machine, makePackage, startFleet, type Fleet } from './helpers';

describe('agent: retention of downloads and _old generations', function () {
  this.timeout(60_000);
  after(cleanupTempDirs);
  let fleet: Fleet;
  beforeEach(async () => {
    fleet = await startFleet();
  });
  afterEach(async () => fleet?.close());

  it('keeps --keep-downloads packages and --keep-old previous versions, newest first', async () => {
    await fleet.setPolicy({ mode: 'auto', delivery: 'forced' });
    const m = await machine('1.0.0');
    const { agent, log } = await agentFor(configFor(m, { server: fleet.ts.url, token: fleet.ts.enrollToken, keepDownloads: 1, keepOld: 2 }));
    const shas: string[] = [];
    for (const v of ['2.0.0', '3.0.0', '4.0.0']) {
      const pkg = await makePackage(v);
      shas.push(pkg.sha256);
      await fleet.publish(v, pkg);
      assert.equal(await agent.check(), EXIT.ok, log.text());
    }
    await assertCompleteVersion(m.install, ['4.0.0']);
    await assertCompleteVersion(`${m.install}_old`, ['3.0.0']);
    await assertCompleteVersion(`${m.install}_old.2`, ['2.0.0']);
    assert.ok(!existsSync(`${m.install}_old.3`), 'no more than two generations');
    assert.deepEqual(await fsp.readdir(join(m.state, 'downloads')), [`${shas[2]}.pkg`], 'only the newest package is kept');
  });

  it('an unattended remind:90 is fitted to the policy\'s choices (1, 3, 7 → 7 days)', async () => {
    await fleet.setPolicy({ mode: 'auto', delivery: 'on-demand', remindOptionsDays: [1, 3, 7] });
    await fleet.publish('2.0.0', await makePackage('2.0.0'));
    const m = await machine('1.0.0');
    const t = await agentFor(configFor(m, { server: fleet.ts.url, token: fleet.ts.enrollToken }), new FixedPrompter({ kind: 'remind', days: 90 }));
    const before = Date.now();
    assert.equal(await t.agent.check(), EXIT.ok, t.log.text());
    const days = (Date.parse((await loadAgentState(m.state)).deferred!.until) - before) / 86_400_000;
    assert.ok(days >= 7 && days < 8, `deferred by 7 days, not ${days}`);
    assert.match((await fleet.clientDetail(t.clientId)).reason, /reminded about 2\.0\.0 in 7 days/);
  });
});
