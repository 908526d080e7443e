// Client fields go through the group commit exactly as typed, on SQLite and (in `npm run test:postgres`) on
// PostgreSQL, where one statement writes a whole batch: quotes, backslashes, braces, commas, the word NULL, empty
// texts, tabs and non-ASCII letters must come back unchanged, and a NULL must stay NULL.
import assert from 'node:assert/strict';
import type { Client } from '../../src/core/types';
import type { CheckinWrite } from '../../src/server/store/store';
import { startTestServer, type TestServer } from '../helpers/server';

const ODD = ['a "quoted" name', 'back\\slash\\', '{braces}', 'comma, then', 'NULL', '', "it's", 'Zoë 名前 🚀', ' spaced ', '{"a":1}', 'tab\there'];

describe('client fields through the group commit', function () {
  this.timeout(60_000);
  let s: TestServer;
  before(async () => { s = await startTestServer(); });
  after(async () => { await s?.close(); });

  const write = (k: number, version: string, extra: Partial<CheckinWrite> = {}): CheckinWrite => ({
    id: `odd-${k}-${ODD[k]}`, name: ODD[k], computer: ODD[(k + 1) % ODD.length], ip: ODD[(k + 2) % ODD.length], user: ODD[(k + 3) % ODD.length],
    version, state: 'failed', targetVersion: k % 2 ? null : ODD[(k + 4) % ODD.length], reason: k % 3 ? ODD[(k + 5) % ODD.length] : null,
    deferredUntil: null, at: new Date().toISOString(), groupId: 'default', ...extra,
  });

  it('come back as typed, written new and then changed, many clients in one batch', async () => {
    const store = s.server.fleet.store;
    const keys = ODD.map((_, k) => k);
    // One batch of new clients, then one batch that changes every one of them (version, state, reason).
    const first = await Promise.all(keys.map((k) => store.writeClient(write(k, '1.0.0'))));
    const known = new Map<number, Client>(first.map((d, k) => [k, d.after]));
    await Promise.all(keys.map((k) => store.writeClient(write(k, '2.0.0', { state: 'up-to-date', reason: k % 2 ? ODD[k] : null, targetVersion: null }), known.get(k))));
    for (const k of keys) {
      const w = write(k, '2.0.0', { state: 'up-to-date', reason: k % 2 ? ODD[k] : null, targetVersion: null });
      const c = await store.getClient(w.id);
      assert.ok(c, w.id);
      assert.deepEqual(
        { id: c.id, name: c.name, computer: c.computer, ip: c.ip, user: c.user, version: c.version, state: c.state, targetVersion: c.targetVersion, reason: c.reason },
        { id: w.id, name: w.name, computer: w.computer, ip: w.ip, user: w.user, version: '2.0.0', state: 'up-to-date', targetVersion: null, reason: w.reason },
        w.id,
      );
      const history = await store.clientHistory.entries(w.id, 10);
      assert.deepEqual(history.map((e) => [e.version, e.state, e.reason, e.targetVersion]), [
        ['2.0.0', 'up-to-date', w.reason, null],
        ['1.0.0', 'failed', k % 3 ? ODD[(k + 5) % ODD.length] : null, k % 2 ? null : ODD[(k + 4) % ODD.length]],
      ], w.id);
    }
  });
});
