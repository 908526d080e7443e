// The prompt rules of seeds 000 and 003, each against a real server: now, later (asked at the next start),
// remind in N days, decline (asked next cycle), never (no more checks this session), a declined mandatory update
// (exit 3), the same build (no prompt), a manual install, force and downgrade (no prompt), and the legacy ini.
import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { encodeLegacyCheck } from '../../src/core/legacy';
import { loadAgentState } from '../../src/agent/agentState';
import { EXIT } from '../../src/agent/errors';
import { ScriptedPrompter, type Answer, type PromptRequest, type Prompter } from '../../src/agent/prompter';
import { agentFor, assertCompleteVersion, configFor, machine, makePackage, runCli, startFleet, type Fleet, type Machine, cleanupTempDirs } from './helpers';

const now: Answer = { kind: 'now' };
const later: Answer = { kind: 'later' };
const decline: Answer = { kind: 'decline' };
const never: Answer = { kind: 'never' };

describe('agent: prompt rules', function () {
  this.timeout(30_000);
  after(cleanupTempDirs);
  let fleet: Fleet;
  beforeEach(async () => {
    fleet = await startFleet();
  });
  afterEach(async () => fleet?.close());

  const cfg = (m: Machine, over = {}) => configFor(m, { server: fleet.ts.url, token: fleet.ts.enrollToken, ...over });
  async function onDemand(version = '2.0.0', opts: { mandatory?: boolean } = {}) {
    await fleet.setPolicy({ mode: 'auto', delivery: 'on-demand', remindOptionsDays: [1, 3, 7] });
    await fleet.publish(version, await makePackage(version), opts);
  }

  it('now: downloads, stages and installs right away', async () => {
    await onDemand();
    const m = await machine('1.0.0');
    const p = new ScriptedPrompter([now]);
    const { agent, log, clientId } = await agentFor(cfg(m), p);
    assert.equal(await agent.check(), EXIT.ok, log.text());
    assert.equal(p.asked.length, 1);
    assert.deepEqual(
      { phase: p.asked[0].phase, version: p.asked[0].version, installed: p.asked[0].installedVersion, mandatory: p.asked[0].mandatory, remind: p.asked[0].remindOptionsDays },
      { phase: 'download', version: '2.0.0', installed: '1.0.0', mandatory: false, remind: [1, 3, 7] },
    );
    assert.equal(await assertCompleteVersion(m.install, ['2.0.0']), '2.0.0');
    const d = await fleet.clientDetail(clientId);
    assert.equal(d.state, 'up-to-date');
    assert.equal(d.version, '2.0.0');
  });

  it('later: stages the download and asks again at the next start (not twice in one start)', async () => {
    await onDemand();
    const m = await machine('1.0.0');
    const first = await agentFor(cfg(m), new ScriptedPrompter([later]));
    assert.equal(await first.agent.check(), EXIT.ok, first.log.text());
    assert.equal(await assertCompleteVersion(m.install, ['1.0.0']), '1.0.0', 'later does not install');
    assert.equal(await assertCompleteVersion(`${m.install}_update_pending`, ['2.0.0']), '2.0.0', 'but the update is staged');
    assert.equal((await loadAgentState(m.state)).staged?.consent, 'ask', 'the "ask at next start" flag is persisted');
    assert.equal((await fleet.clientDetail(first.clientId)).state, 'staged');

    // Next start: asked about installing the staged update; "later" again keeps it and the check does not re-ask.
    const p2 = new ScriptedPrompter([later]);
    const second = await agentFor(cfg(m), p2);
    assert.equal(await second.agent.check(), EXIT.ok, second.log.text());
    assert.deepEqual(p2.asked.map((a) => [a.phase, a.version]), [['install', '2.0.0']]);
    assert.equal(await assertCompleteVersion(m.install, ['1.0.0']), '1.0.0');

    // The start after that: "now" installs the staged version without downloading again.
    const p3 = new ScriptedPrompter([now]);
    const third = await agentFor(cfg(m), p3);
    assert.equal(await third.agent.check(), EXIT.ok, third.log.text());
    assert.deepEqual(p3.asked.map((a) => a.phase), ['install']);
    assert.equal(await assertCompleteVersion(m.install, ['2.0.0']), '2.0.0');
    assert.doesNotMatch(third.log.text(), /Downloading/);
    const d = await fleet.clientDetail(first.clientId);
    assert.equal(d.state, 'up-to-date');
    assert.equal(d.version, '2.0.0');
  });

  it('remind:N reports deferred with the date and does not ask before it', async () => {
    await onDemand();
    const m = await machine('1.0.0');
    const p = new ScriptedPrompter([{ kind: 'remind', days: 3 }]);
    const { agent, log, clientId } = await agentFor(cfg(m), p);
    const before = Date.now();
    assert.equal(await agent.check(), EXIT.ok, log.text());
    const d = await fleet.clientDetail(clientId);
    assert.equal(d.state, 'deferred');
    const until = Date.parse(d.deferredUntil);
    assert.ok(until >= before + 3 * 86_400_000 && until <= Date.now() + 3 * 86_400_000, `deferred until ${d.deferredUntil}`);
    assert.equal((await loadAgentState(m.state)).deferred?.until, d.deferredUntil);

    // The next cycle: the check-in carries deferredUntil, nothing is asked, the server still shows deferred.
    assert.equal(await agent.check(), EXIT.ok, log.text());
    assert.equal(p.asked.length, 1);
    const again = await fleet.clientDetail(clientId);
    assert.equal(again.state, 'deferred');
    assert.equal(await assertCompleteVersion(m.install, ['1.0.0']), '1.0.0');
  });

  it('decline (optional) reports declined and asks again at the next cycle', async () => {
    await onDemand();
    const m = await machine('1.0.0');
    const p = new ScriptedPrompter([decline]);
    const { agent, log, clientId } = await agentFor(cfg(m), p);
    assert.equal(await agent.check(), EXIT.ok, log.text());
    const d = await fleet.clientDetail(clientId);
    assert.equal(d.state, 'declined');
    assert.match(d.reason, /declined the optional update to 2\.0\.0/);
    assert.equal(await agent.check(), EXIT.ok);
    assert.equal(p.asked.length, 2, 'asked again at the next cycle');
  });

  it('decline in the run loop: the loop keeps checking and asks every cycle', async () => {
    await onDemand();
    const m = await machine('1.0.0');
    const ac = new AbortController();
    const p = new CountingPrompter(decline, 3, () => ac.abort());
    const { agent, log } = await agentFor(cfg(m, { intervalScale: 0.001, startupDelaySeconds: 1 }), p);
    assert.equal(await agent.run(ac.signal), EXIT.ok, log.text());
    assert.equal(p.asked.length, 3);
    assert.match(log.text(), /First update check in/);
  });

  it('never ("do not ask me again"): reports it and the run loop stops checking for the session', async () => {
    await onDemand();
    const m = await machine('1.0.0');
    const p = new ScriptedPrompter([never]);
    const { agent, log, clientId } = await agentFor(cfg(m, { intervalScale: 0.001, startupDelaySeconds: 1 }), p);
    // No abort signal: the loop ends by itself.
    assert.equal(await agent.run(), EXIT.ok, log.text());
    assert.equal(p.asked.length, 1);
    assert.equal(log.lines.filter((l) => /^Checked /.test(l.message)).length, 1, 'exactly one check in this session');
    assert.match(log.text(), /No update checks for the rest of this session/);
    const d = await fleet.clientDetail(clientId);
    assert.equal(d.state, 'declined');
    assert.match(d.reason, /do not ask me again/);
  });

  it('a declined mandatory update is reported and exits with code 3 (legacy ini, Mandatory=1)', async () => {
    await fleet.setPolicy({ mode: 'auto' });
    await fleet.publish('2.0.0', await makePackage('2.0.0'), { mandatory: true });
    const m = await machine('1.0.0', fleet.ts.enrollToken);
    const p = new ScriptedPrompter([decline]);
    const { agent, log, clientId } = await agentFor(cfg(m, { protocol: 'ini' }), p);
    assert.equal(await agent.check(), EXIT.mustShutDown, log.text());
    assert.equal(p.asked[0].mandatory, true);
    const d = await fleet.clientDetail(clientId);
    assert.equal(d.state, 'declined');
    assert.match(d.reason, /declined the mandatory update to 2\.0\.0; the program must shut down/);
    assert.equal(await assertCompleteVersion(m.install, ['1.0.0']), '1.0.0');

    // The same through the CLI: the exit code tells the program to shut down.
    const r = await runCli(['check', '--protocol', 'ini', '--answer', 'decline', '--server', fleet.ts.url, '--token-file', m.tokenFile, '--install', m.install, '--state', m.state]);
    assert.equal(r.code, EXIT.mustShutDown, r.stderr);
    assert.match(r.stderr, /must shut down/);
  });

  it('legacy ini with the real server: an offer (Mandatory=0) installed with now; the same build is not offered', async () => {
    await onDemand();
    const m = await machine('1.0.0');
    const p = new ScriptedPrompter([now]);
    const { agent, log, clientId } = await agentFor(cfg(m, { protocol: 'ini' }), p);
    assert.equal(await agent.check(), EXIT.ok, log.text());
    assert.equal(p.asked[0].mandatory, false);
    assert.equal(await assertCompleteVersion(m.install, ['2.0.0']), '2.0.0');
    const d = await fleet.clientDetail(clientId);
    assert.equal(d.state, 'up-to-date');
    assert.equal(d.version, '2.0.0');
    // Now on 2.0.0: Success=0, no prompt.
    assert.equal(await agent.check(), EXIT.ok);
    assert.equal(p.asked.length, 1);
  });

  it('legacy ini from a static web server: the same build number is not asked about, a different one is', async () => {
    // Seed 003's upgrade server is often a static file; it answers the same whatever the client runs.
    let body = encodeLegacyCheck({ success: true, mandatory: false, version: '60000', url: 'http://127.0.0.1:1/newversion.tar.gz' });
    const server = http.createServer((req, res) => {
      if (req.url?.startsWith('/agent/v1/check.ini')) {
        res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const m = await machine('60000');
      const p = new ScriptedPrompter([decline]);
      const { agent, log } = await agentFor(configFor(m, { server: url, token: 't', protocol: 'ini' }), p);
      assert.equal(await agent.check(), EXIT.ok, log.text());
      assert.equal(p.asked.length, 0, 'same build: no prompt');
      assert.match(log.text(), /60000 is already installed/);

      body = encodeLegacyCheck({ success: true, mandatory: false, version: '60001', url: 'http://127.0.0.1:1/newversion.tar.gz' });
      assert.equal(await agent.check(), EXIT.ok, log.text());
      assert.deepEqual(p.asked.map((a) => a.version), ['60001'], 'different build: prompt');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('manual: tells the user to install by hand and reports manual-required, without asking', async () => {
    await fleet.setPolicy({ mode: 'auto' });
    await fleet.setMinimumAutoUpgradeVersion('1.5.0');
    await fleet.publish('2.0.0', await makePackage('2.0.0'));
    const m = await machine('1.0.0');
    const p = new ScriptedPrompter([now]);
    const { agent, log, clientId } = await agentFor(cfg(m), p);
    assert.equal(await agent.check(), EXIT.ok, log.text());
    assert.equal(p.asked.length, 0);
    assert.match(log.text(), /Version 2\.0\.0 must be installed by hand/);
    assert.equal((await fleet.clientDetail(clientId)).state, 'manual-required');
    assert.equal(await assertCompleteVersion(m.install, ['1.0.0']), '1.0.0');
  });

  it('force and downgrade install without asking', async () => {
    await fleet.publish('1.0.0', await makePackage('1.0.0'));
    await fleet.setPolicy({ mode: 'pinned', pinnedVersion: '1.0.0', allowDowngrade: true });
    const m = await machine('2.0.0');
    const p = new ScriptedPrompter([decline]);
    const { agent, log, clientId } = await agentFor(cfg(m), p);
    assert.equal(await agent.check(), EXIT.ok, log.text());
    assert.equal(p.asked.length, 0);
    assert.equal(await assertCompleteVersion(m.install, ['1.0.0']), '1.0.0');
    assert.equal(await assertCompleteVersion(`${m.install}_old`, ['2.0.0']), '2.0.0');
    const d = await fleet.clientDetail(clientId);
    assert.equal(d.version, '1.0.0');
    assert.equal(d.state, 'up-to-date');
  });

  it('run applies an update staged earlier when it starts, then checks after the start-up delay', async () => {
    await fleet.setPolicy({ mode: 'auto', delivery: 'forced' });
    await fleet.publish('2.0.0', await makePackage('2.0.0'));
    const m = await machine('1.0.0');
    const service = await agentFor(cfg(m, { applyBy: 'service' }));
    assert.equal(await service.agent.check(), EXIT.ok, service.log.text());
    assert.equal(await assertCompleteVersion(m.install, ['1.0.0']), '1.0.0');

    const ac = new AbortController();
    const { agent, log, clientId } = await agentFor(cfg(m, { intervalScale: 0.001, startupDelaySeconds: 1 }), new CountingPrompter(now, 1, () => undefined));
    const running = agent.run(ac.signal);
    while (!log.lines.some((l) => /^Checked /.test(l.message))) await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    assert.equal(await running, EXIT.ok, log.text());
    const order = log.lines.map((l) => l.message);
    const applied = order.findIndex((l) => /^Applying the staged update 2\.0\.0 at start-up/.test(l));
    const firstCheck = order.findIndex((l) => /^First update check in/.test(l));
    assert.ok(applied >= 0 && firstCheck > applied, order.join('\n'));
    assert.equal(await assertCompleteVersion(m.install, ['2.0.0']), '2.0.0');
    assert.equal((await fleet.clientDetail(clientId)).state, 'up-to-date');
  });

  it('apply-by service: check only stages; the separate apply swaps', async () => {
    await fleet.setPolicy({ mode: 'auto', delivery: 'forced' });
    await fleet.publish('2.0.0', await makePackage('2.0.0'));
    const m = await machine('1.0.0', fleet.ts.enrollToken);
    const before = await fsp.stat(m.install);
    const { agent, log, clientId } = await agentFor(cfg(m, { applyBy: 'service' }));
    assert.equal(await agent.check(), EXIT.ok, log.text());
    assert.equal(await assertCompleteVersion(m.install, ['1.0.0']), '1.0.0');
    assert.equal((await fsp.stat(m.install)).ino, before.ino, 'check never touched the install folder');
    assert.ok(existsSync(`${m.install}_update_pending`));
    const staged = await fleet.clientDetail(clientId);
    assert.equal(staged.state, 'installed-pending-restart');
    assert.ok(staged.history.some((h: { state: string }) => h.state === 'staged'));
    // Check-ins while it waits keep saying so.
    assert.equal(await agent.check(), EXIT.ok, log.text());
    assert.equal((await fleet.clientDetail(clientId)).state, 'installed-pending-restart');

    // The privileged service's apply, as its own process.
    const r = await runCli(['apply', '--server', fleet.ts.url, '--token-file', m.tokenFile, '--install', m.install, '--state', m.state]);
    assert.equal(r.code, EXIT.ok, r.stderr);
    assert.equal(await assertCompleteVersion(m.install, ['2.0.0']), '2.0.0');
    assert.equal(await assertCompleteVersion(`${m.install}_old`, ['1.0.0']), '1.0.0');
    const d = await fleet.clientDetail(clientId);
    assert.equal(d.state, 'up-to-date');
    assert.equal(d.version, '2.0.0');
    assert.ok(existsSync(join(m.state, 'downloads')));
  });
});

/** Answers the same each time and calls `then` once it has been asked `times` times. */
class CountingPrompter implements Prompter {
  readonly asked: PromptRequest[] = [];
  constructor(private readonly answer: Answer, private readonly times: number, private readonly then: () => void) {}
  async ask(r: PromptRequest): Promise<Answer> {
    this.asked.push(r);
    if (this.asked.length === this.times) this.then();
    return this.answer;
  }
}
