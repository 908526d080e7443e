// SeenHold: unchanged check-ins' times are held a moment and handed over together, the newest per client; a full
// hold goes at once; flush() hands over what is held now.
import assert from 'node:assert/strict';
import type { Client } from '../../src/core/types';
import { SeenHold } from '../../src/server/store/seenHold';

const client = (id: string, lastSeen: string): Client => ({
  id, name: id, computer: id, ip: '10.0.0.1', user: 'u', groupId: 'default', version: '1.0.0', state: 'up-to-date',
  targetVersion: null, reason: null, deferredUntil: null, lastSeen, address: null,
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SeenHold', () => {
  it('hands over the newest time per client once the moment is up, and nothing before', async () => {
    const handed: Client[][] = [];
    const hold = new SeenHold((seen) => handed.push(seen), 100, 30);
    hold.hold(client('a', '2026-01-02'));
    hold.hold(client('b', '2026-01-01'));
    hold.hold(client('a', '2026-01-01'));
    hold.hold(client('b', '2026-01-03'));
    assert.equal(hold.size, 2);
    assert.equal(handed.length, 0);
    await sleep(80);
    assert.equal(handed.length, 1);
    assert.deepEqual(handed[0].map((c) => [c.id, c.lastSeen]).sort(), [['a', '2026-01-02'], ['b', '2026-01-03']]);
    assert.equal(hold.size, 0);
  });

  it('hands over a full hold at once, and flush() whatever is held', () => {
    const handed: string[][] = [];
    const hold = new SeenHold((seen) => handed.push(seen.map((c) => c.id)), 3, 60_000);
    for (const id of ['a', 'b', 'a', 'c', 'd']) hold.hold(client(id, '2026-01-01'));
    assert.deepEqual(handed, [['a', 'b', 'c']]);
    hold.flush();
    assert.deepEqual(handed, [['a', 'b', 'c'], ['d']]);
    hold.flush();
    assert.equal(handed.length, 2, 'an empty hold hands over nothing');
    hold.hold(client('e', '2026-01-01'));
    hold.clear();
    hold.flush();
    assert.equal(handed.length, 2, 'clear() forgets');
  });
});
