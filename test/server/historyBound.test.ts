// A client's history stays bounded to its newest HISTORY_PER_CLIENT entries through the server's group commit, on
// SQLite and (with UPDATE_FLEET_TEST_POSTGRES_URL, in `npm run test:postgres`) on PostgreSQL, where one statement
// writes a batch: it sees the history as it was, so it keeps one entry fewer of those before the new one.
import assert from 'node:assert/strict';
import type { Client } from '../../src/core/types';
import { HISTORY_PER_CLIENT, type CheckinWrite } from '../../src/server/store/store';
import { startTestServer, type TestServer } from '../helpers/server';

describe('client history bound, through the group commit', function () {
  this.timeout(60_000);
  let s: TestServer;
  before(async () => { s = await startTestServer(); });
  after(async () => { await s?.close(); });

  const write = (id: string, version: string): CheckinWrite => ({
    id, name: `N ${id}`, computer: `PC-${id}`, ip: '10.0.0.1', user: 'u', version, state: 'up-to-date',
    targetVersion: null, reason: null, deferredUntil: null, at: new Date().toISOString(), groupId: 'default',
  });

  it('keeps the newest entries of each client, one batch after another and many clients in one batch', async () => {
    const store = s.server.fleet.store;
    const ids = Array.from({ length: 20 }, (_, k) => `hb-${k}`);
    const known = new Map<string, Client | undefined>();
    for (let i = 0; i < HISTORY_PER_CLIENT + 7; i++) {
      // Every client writes at once: one batch (one statement on PostgreSQL) holds all twenty.
      const done = await Promise.all(ids.map((id) => store.writeClient(write(id, `1.0.${i}`), known.get(id))));
      done.forEach((d, k) => known.set(ids[k], d.after));
    }
    for (const id of ids) {
      const history = await store.clientHistory.entries(id, 1000);
      assert.equal(history.length, HISTORY_PER_CLIENT, id);
      assert.deepEqual(history.map((e) => e.version), Array.from({ length: HISTORY_PER_CLIENT }, (_, k) => `1.0.${HISTORY_PER_CLIENT + 6 - k}`), id);
    }
  });
});
