import assert from 'node:assert/strict';
import { backoffMs, ChangeAccumulator, SseParser, toServerEvent } from '../../src/extension/sse';

describe('extension/sse (live updates without flooding)', () => {
  it('parses events split across chunks, with CRLF, comments and multi-line data', () => {
    const p = new SseParser();
    assert.deepEqual(p.push(': keep-alive\n\nevent: release\ndata: {"type":"release",'), []);
    const out = p.push('"releaseId":"r1","version":"1.2.3","state":"approved"}\r\n\r\nevent: x\ndata: a\ndata: b\n\n');
    assert.equal(out.length, 2);
    assert.equal(out[0].event, 'release');
    assert.deepEqual(toServerEvent(out[0]), { type: 'release', releaseId: 'r1', version: '1.2.3', state: 'approved' });
    assert.equal(out[1].data, 'a\nb');
    assert.equal(toServerEvent(out[1]), undefined, 'unknown or non-JSON events are ignored');
  });

  it('takes the type from the event name when the payload has none', () => {
    const e = toServerEvent({ event: 'clients', data: '{"changed":3,"groupIds":["g1"]}' });
    assert.deepEqual(e, { type: 'clients', changed: 3, groupIds: ['g1'] });
  });

  it('coalesces a burst of events into one change set', () => {
    const acc = new ChangeAccumulator();
    assert.equal(acc.take(), undefined);
    for (let i = 0; i < 1000; i++) acc.add({ type: 'clients', changed: 1, groupIds: [`g${i % 3}`] });
    acc.add({ type: 'policy', groupId: 'g1' });
    acc.add({ type: 'release', releaseId: 'r', version: '1.0.0', state: 'approved' });
    const c = acc.take()!;
    assert.equal(c.clients, true);
    assert.deepEqual(c.groupIds.sort(), ['g0', 'g1', 'g2']);
    assert.deepEqual(c.policyGroupIds, ['g1']);
    assert.equal(c.releases, true);
    assert.equal(c.all, false);
    assert.equal(acc.take(), undefined, 'taking empties it');
  });

  it('backs off exponentially up to 30 s', () => {
    assert.deepEqual([0, 1, 2, 3, 10].map((a) => backoffMs(a)), [1000, 2000, 4000, 8000, 30_000]);
  });
});
