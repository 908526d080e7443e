// Kill the agent (SIGKILL, via UPDATE_FLEET_AGENT_CRASH_AT) at every journal step of staging, the swap and the
// rollback; the next start must leave a complete install — the old version or the new one, never a mix.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { stageSteps } from '../../src/agent/stage';
import { applySteps, rollbackSteps } from '../../src/agent/apply';
import { CRASH_ENV } from '../../src/agent/crash';
import { EXIT } from '../../src/agent/errors';
import { crashPointsOf } from '../../src/agent/journal';
import { layoutFor } from '../../src/agent/layout';
import { agentFor, assertCompleteVersion, configFor, machine, makePackage, runCli, startFleet, writeTree, filesOf, type Fleet, type Machine, cleanupTempDirs } from './helpers';

const any = layoutFor('/x/app', '/x/state');
const STAGE_POINTS = [...crashPointsOf({ op: 'stage', steps: stageSteps(any) }), 'during:extract'];
const APPLY_POINTS = crashPointsOf({ op: 'apply', steps: applySteps(any) });
const ROLLBACK_POINTS = crashPointsOf({ op: 'rollback', steps: rollbackSteps(any) });

describe('agent: a kill at any journal step leaves a complete install', function () {
  this.timeout(120_000);
  after(cleanupTempDirs);
  let fleet: Fleet;
  before(async () => {
    fleet = await startFleet();
    await fleet.setPolicy({ mode: 'auto', delivery: 'forced' });
    await fleet.publish('2.0.0', await makePackage('2.0.0'));
  });
  after(async () => fleet?.close());

  /** The machine after recovery: every folder that exists is one whole version, and no scratch is left. */
  async function assertConsistent(m: Machine, installAllowed: string[], oldAllowed: string[]): Promise<void> {
    await assertCompleteVersion(m.install, installAllowed);
    if (existsSync(`${m.install}_update_pending`)) await assertCompleteVersion(`${m.install}_update_pending`, ['2.0.0']);
    if (existsSync(`${m.install}_old`)) await assertCompleteVersion(`${m.install}_old`, oldAllowed);
    for (const scratch of ['_update_pending.partial', '_old.discard', '_rollback']) assert.ok(!existsSync(`${m.install}${scratch}`), `${scratch} is cleaned up`);
  }

  // --apply-by agent: the check swaps right away (the program is not running here), so every step can be killed.
  const cli = (m: Machine, command: string, crashAt: string) =>
    runCli([command, '--server', fleet.ts.url, '--token-file', m.tokenFile, '--install', m.install, '--state', m.state, ...(command === 'check' ? ['--apply-by', 'agent'] : [])], { [CRASH_ENV]: crashAt });

  for (const point of [...STAGE_POINTS, ...APPLY_POINTS]) {
    it(`check killed at "${point}"`, async () => {
      const m = await machine('1.0.0', fleet.ts.enrollToken);
      await writeTree(`${m.install}_old`, filesOf('0.9.0')); // an older _old that the swap replaces
      const r = await cli(m, 'check', point);
      assert.equal(r.signal, 'SIGKILL', `the process was killed (code ${r.code}): ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`crash injected at "${point}"`));

      // The next start, any command: here a plain recovery, as `status` does.
      const { agent, log, clientId } = await agentFor(configFor(m, { server: fleet.ts.url, token: fleet.ts.enrollToken }));
      await agent.recover();
      assert.equal(await agent.journal.read(), undefined, 'the journal is finished or undone');
      await assertConsistent(m, ['1.0.0', '2.0.0'], ['0.9.0', '1.0.0']);

      // And the update completes on the next check.
      assert.equal(await agent.check(), EXIT.ok, log.text());
      await assertConsistent(m, ['2.0.0'], ['1.0.0']);
      const detail = await fleet.clientDetail(clientId);
      assert.equal(detail.version, '2.0.0');
      assert.equal(detail.state, 'up-to-date');
    });
  }

  // With --keep-old 2 the swap also shifts "_old" to "_old.2": a kill there is finished like any other step.
  for (const point of ['shift-old-1', 'after:shift-old-1']) {
    it(`check --keep-old 2 killed at "${point}"`, async () => {
      const m = await machine('1.0.0', fleet.ts.enrollToken);
      await writeTree(`${m.install}_old`, filesOf('0.9.0'));
      const r = await runCli(['check', '--apply-by', 'agent', '--keep-old', '2', '--server', fleet.ts.url, '--token-file', m.tokenFile, '--install', m.install, '--state', m.state], { [CRASH_ENV]: point });
      assert.equal(r.signal, 'SIGKILL', `the process was killed (code ${r.code}): ${r.stderr}`);
      const { agent } = await agentFor(configFor(m, { server: fleet.ts.url, token: fleet.ts.enrollToken, keepOld: 2 }));
      await agent.recover();
      assert.equal(await agent.journal.read(), undefined);
      await assertCompleteVersion(m.install, ['2.0.0']);
      await assertCompleteVersion(`${m.install}_old`, ['1.0.0']);
      await assertCompleteVersion(`${m.install}_old.2`, ['0.9.0']);
    });
  }

  for (const point of ROLLBACK_POINTS) {
    it(`rollback killed at "${point}"`, async () => {
      const m = await machine('1.0.0', fleet.ts.enrollToken);
      const c = configFor(m, { server: fleet.ts.url, token: fleet.ts.enrollToken });
      const first = await agentFor(c);
      assert.equal(await first.agent.check(), EXIT.ok, first.log.text());

      const r = await cli(m, 'rollback', point);
      assert.equal(r.signal, 'SIGKILL', `the process was killed (code ${r.code}): ${r.stderr}`);
      const { agent } = await agentFor(c);
      await agent.recover();
      assert.equal(await agent.journal.read(), undefined);
      // A rollback is finished once it has started: 1.0.0 installed, 2.0.0 kept as _old.
      await assertConsistent(m, ['1.0.0'], ['2.0.0']);
    });
  }

  it('a status command is a start too: it finishes the interrupted swap', async () => {
    const m = await machine('1.0.0', fleet.ts.enrollToken);
    const r = await cli(m, 'check', 'after:move-current-to-old');
    assert.equal(r.signal, 'SIGKILL');
    assert.ok(!existsSync(m.install), 'killed between the two renames: no install folder at all');
    const s = await runCli(['status', '--json', '--install', m.install, '--state', m.state]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(JSON.parse(s.stdout).installedVersion, '2.0.0');
    await assertConsistent(m, ['2.0.0'], ['1.0.0']);
  });
});
