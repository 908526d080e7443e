import assert from 'node:assert/strict';
import { applyLifecycle, type LifecycleAction, type ReleaseState } from '../../src/core';
import { release } from './fixtures';

describe('core/lifecycle (seed 000: download, test, then approve; no longer supported; rollback)', () => {
  const table: Array<[ReleaseState, LifecycleAction, ReleaseState | 'refused']> = [
    ['pending', 'approve', 'approved'],
    ['pending', 'revoke', 'refused'],
    ['pending', 'retire', 'retired'],
    ['approved', 'approve', 'refused'],
    ['approved', 'revoke', 'revoked'],
    ['approved', 'retire', 'retired'],
    ['retired', 'approve', 'approved'],
    ['retired', 'revoke', 'refused'],
    ['retired', 'retire', 'refused'],
    ['revoked', 'approve', 'approved'],
    ['revoked', 'revoke', 'refused'],
    ['revoked', 'retire', 'retired'],
  ];
  for (const [from, action, to] of table) {
    it(`${from} + ${action} → ${to}`, () => {
      const r = applyLifecycle(release('3.59.228.0', from), action, 'ops-alice', new Date('2026-11-24T10:00:00Z'), 'tested on the pilot group');
      if (to === 'refused') {
        assert.equal(r.ok, false);
        if (!r.ok) assert.match(r.message, /3\.59\.228\.0/);
      } else {
        assert.equal(r.ok, true);
        if (r.ok) {
          assert.equal(r.release.state, to);
          const last = r.release.transitions.at(-1)!;
          assert.deepEqual(last, { from, to, by: 'ops-alice', at: '2026-11-24T10:00:00.000Z', note: 'tested on the pilot group' });
        }
      }
    });
  }
  it('does not mutate its input', () => {
    const r = release('1.0.0', 'pending');
    applyLifecycle(r, 'approve', 'a', new Date());
    assert.equal(r.state, 'pending');
    assert.equal(r.transitions.length, 1);
  });
});
