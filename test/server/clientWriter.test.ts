// The client-writer thread (SQLite file): writes made together commit together and fail alone, the history stays
// bounded with per-client numbers, and closing the store first finishes what was asked (held "seen" times: see
// seenTimes.test.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withPolicyDefaults } from '../../src/core';
import type { Client } from '../../src/core/types';
import { HISTORY_PER_CLIENT, FleetStore, type CheckinWrite } from '../../src/server/store/store';

describe('client writes on the writer thread (SQLite file)', function () {
  this.timeout(60_000);
  let dir: string;
  let store: FleetStore;
  const open = () => FleetStore.open({ sqliteFile: join(dir, 'fleet.db'), writerThread: true });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uf-writer-'));
    store = await open();
    await store.groups.insert({ id: 'default', name: 'Default', description: '', policy: withPolicyDefaults(undefined) }, new Date().toISOString());
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (id: string, over: Partial<CheckinWrite> = {}): CheckinWrite => ({
    id, name: `N ${id}`, computer: `PC-${id}`, ip: '10.0.0.1', user: 'u', version: '1.0.0', state: 'up-to-date',
    targetVersion: null, reason: null, deferredUntil: null, at: new Date().toISOString(), groupId: 'default', ...over,
  });

  it('commits many concurrent writes, and a bad one fails alone with its reason', async () => {
    const results = await Promise.allSettled([
      ...Array.from({ length: 300 }, (_, i) => store.writeClient(write(`c-${i}`))),
      // No such group: the foreign key refuses it, inside the same transaction as its neighbours.
      store.writeClient(write('bad', { groupId: 'no-such-group' })),
    ]);
    const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    assert.equal(failed.length, 1);
    assert.match(String(failed[0].reason?.message), /FOREIGN KEY/);
    for (let i = 0; i < 300; i += 37) assert.equal((await store.getClient(`c-${i}`))?.name, `N c-${i}`);
    assert.equal(await store.getClient('bad'), undefined);
  });

  it('keeps the newest history entries of a client, numbered per client', async () => {
    let known: Client | undefined;
    for (let i = 0; i < HISTORY_PER_CLIENT + 12; i++) {
      ({ after: known } = await store.writeClient(write('h', { version: `1.0.${i}` }), known));
    }
    const history = await store.clientHistory.entries('h', 1000);
    assert.equal(history.length, HISTORY_PER_CLIENT);
    assert.deepEqual(history.map((e) => e.version), Array.from({ length: HISTORY_PER_CLIENT }, (_, k) => `1.0.${HISTORY_PER_CLIENT + 11 - k}`));
  });

  it('closing the store first finishes the writes already asked', async () => {
    const pending = Array.from({ length: 500 }, (_, i) => store.writeClient(write(`p-${i}`)));
    await store.close();
    await Promise.all(pending);
    store = await open();
    for (const i of [0, 250, 499]) assert.ok(await store.getClient(`p-${i}`), `p-${i} was written`);
  });
});
