// The fleet simulator against a real server: 200 virtual clients for a few seconds produce check-ins, reports and
// failures with reasons a person can read; ids are stable, so a rerun reuses the same clients.
import assert from 'node:assert/strict';
import { simulatedClientId, simulatedIdentity, runSimulator } from '../../src/agent/simulator';
import type { Res } from '../helpers/http';
import { until } from '../helpers/poll';
import { makePackage, startFleet, type Fleet, cleanupTempDirs } from './helpers';

describe('agent: fleet simulator', function () {
  this.timeout(60_000);
  after(cleanupTempDirs);
  let fleet: Fleet;
  before(async () => {
    fleet = await startFleet();
    // No rollout halt: this test wants failures to stay visible, not the release to stop.
    await fleet.setPolicy({ mode: 'auto', delivery: 'on-demand', failureThresholdPercent: 100 });
    await fleet.publish('2.0.0', await makePackage('2.0.0'));
  });
  after(async () => fleet?.close());

  it('derives realistic, stable identities from the prefix and index', () => {
    const a = simulatedIdentity('sim', 141);
    assert.deepEqual(simulatedIdentity('sim', 141), a);
    assert.notEqual(simulatedClientId('sim', 141), simulatedClientId('sim', 142));
    assert.notEqual(simulatedClientId('sim', 141), simulatedClientId('lab', 141));
    assert.match(a.clientId, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(a.computer, /^[A-Z]{2,3}-(PC|NB)-0142$/);
    assert.match(a.user, /^[a-z]\.[a-z]+$/);
    assert.match(a.ip, /^10\.\d{1,3}\.\d{1,3}\.\d{1,3}$/);
  });

  it('runs 200 clients: check-ins, reports and failures with reasons visible on the server', async () => {
    const sim = runSimulator({
      server: fleet.ts.url, token: fleet.ts.enrollToken, count: 200, failureRate: 0.3,
      prefix: 'simtest', intervalScale: 0.005, rampSeconds: 0.5,
    });
    // Until the fleet shows what a run produces (no fixed duration: a busy machine only takes longer).
    let failed: Res | undefined;
    try {
      await until(async () => {
        const s = sim.stats();
        if (s.checkins < 200 || s.reports === 0 || s.failures === 0) return false;
        failed = await fleet.admin.get('/api/v1/clients?state=failed&limit=500');
        const upgraded = await fleet.admin.get('/api/v1/clients?state=up-to-date&version=2.0.0&limit=1');
        return failed.body.items.length > 0 && upgraded.body.items.length > 0;
      }, 'check-ins, reports, failures and upgrades from the simulated fleet', 50_000);
    } finally {
      await sim.stop();
      await sim.done;
    }
    assert.equal(sim.stats().errors, 0);
    assert.equal(failed!.status, 200, failed!.text);
    for (const c of failed!.body.items) {
      assert.match(c.reason, /^(Checksum mismatch|Disk full|Permission denied|Download failed|Signature invalid|Extraction failed|C:\\)/, c.reason);
      assert.match(c.computer, /-(PC|NB)-\d{4}$/);
      assert.match(c.ip, /^10\./);
    }
    const upToDate = await fleet.admin.get('/api/v1/clients?state=up-to-date&version=2.0.0&limit=500');
    assert.ok(upToDate.body.items.length > 0, 'some clients upgraded to 2.0.0');

    // A rerun with the same prefix reuses the clients: the fleet does not grow.
    const again = runSimulator({ server: fleet.ts.url, token: fleet.ts.enrollToken, count: 200, prefix: 'simtest', intervalScale: 0.005, rampSeconds: 0.3 });
    try {
      await until(() => again.stats().checkins >= 200, 'the rerun to check in', 50_000);
    } finally {
      await again.stop();
      await again.done;
    }
    const summary = await fleet.admin.get('/api/v1/summary');
    assert.equal(summary.body.overall.total, 200);
  });

  it('stop() ends it early and stats stay readable', async () => {
    const sim = runSimulator({ server: fleet.ts.url, token: fleet.ts.enrollToken, count: 20, prefix: 'stoptest', intervalScale: 0.01, rampSeconds: 0.2 });
    await new Promise((r) => setTimeout(r, 500));
    await sim.stop();
    await sim.done;
    const before = sim.stats().checkins;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sim.stats().checkins, before, 'nothing runs after stop');
  });
});
