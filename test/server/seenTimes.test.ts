// Unchanged check-ins' "seen" times (store/seenHold.ts), through the store as the server opens it: on a SQLite file
// (the writer thread) here, on PostgreSQL in the PostgreSQL pass. Nobody waits for them; they land within a second
// or two, the newest of a client's held times wins, a held time never moves "last seen" back past a later write,
// and closing the store writes what is held.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withPolicyDefaults } from '../../src/core';
import { FleetStore, type CheckinWrite } from '../../src/server/store/store';
import { freshPostgresDatabase, POSTGRES_URL } from '../helpers/server';

describe(`unchanged check-ins' times (${POSTGRES_URL ? 'PostgreSQL' : 'SQLite writer thread'})`, function () {
  this.timeout(60_000);
  let dir: string;
  let store: FleetStore;
  let open: () => Promise<FleetStore>;
  let dropPg: (() => Promise<void>) | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uf-seen-'));
    if (POSTGRES_URL) {
      const fresh = await freshPostgresDatabase();
      dropPg = fresh.drop;
      open = () => FleetStore.open({ postgresUrl: fresh.url });
    } else {
      open = () => FleetStore.open({ sqliteFile: join(dir, 'fleet.db'), writerThread: true });
    }
    store = await open();
    await store.groups.insert({ id: 'default', name: 'Default', description: '', policy: withPolicyDefaults(undefined) }, new Date().toISOString());
  });
  afterEach(async () => {
    await store.close();
    await dropPg?.();
    dropPg = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (id: string, over: Partial<CheckinWrite> = {}): CheckinWrite => ({
    id, name: `N ${id}`, computer: `PC-${id}`, ip: '10.0.0.1', user: 'u', version: '1.0.0', state: 'up-to-date',
    targetVersion: null, reason: null, deferredUntil: null, at: new Date().toISOString(), groupId: 'default', ...over,
  });
  const seen = async (id: string) => (await store.getClient(id))?.lastSeen;

  it('land within a second or two, the newest held, never moving "last seen" back past a later write', async () => {
    const first = await store.writeClient(write('s', { at: '2026-01-01T00:00:00.000Z' }));
    // A later change, then unchanged check-ins: one carries an older time (made earlier, written later), and of two
    // held for the same client the newer wins whatever their order.
    const later = await store.writeClient(write('s', { state: 'failed', reason: 'disk full', at: '2026-01-03T00:00:00.000Z' }), first.after);
    await store.writeClient(write('s', { state: 'failed', reason: 'disk full', at: '2026-01-02T00:00:00.000Z' }), later.after);
    const t = (await store.writeClient(write('t', { at: '2026-01-01T00:00:00.000Z' }))).after;
    await store.writeClient(write('t', { at: '2026-01-06T00:00:00.000Z' }), t);
    await store.writeClient(write('t', { at: '2026-01-05T00:00:00.000Z' }), t);
    const deadline = Date.now() + 5_000;
    while ((await seen('t')) !== '2026-01-06T00:00:00.000Z') {
      assert.ok(Date.now() < deadline, 'the held time was written');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(await seen('s'), '2026-01-03T00:00:00.000Z');
    assert.equal((await store.getClient('s'))?.state, 'failed', 'a held time writes the time alone');
  });

  it('closing the store writes what is held', async () => {
    const s = (await store.writeClient(write('s', { at: '2026-01-01T00:00:00.000Z' }))).after;
    await store.writeClient(write('s', { at: '2026-01-04T00:00:00.000Z' }), s);
    await store.close();
    store = await open();
    assert.equal(await seen('s'), '2026-01-04T00:00:00.000Z');
  });
});
