// A release's transition list is bounded: an approve/revoke loop (6,095 entries seen in the review) must not make
// every check-in read a longer release. The history lives in the audit log.
import assert from 'node:assert/strict';
import { applyLifecycle, type Release } from '../../src/core';
import { release } from './fixtures';

describe('core/lifecycle keeps a bounded transition list', () => {
  it('after 6,095 approve/revoke steps a release holds only its latest transitions, newest last', () => {
    let r: Release = release('3.59.127.0', 'pending');
    for (let i = 0; i < 6_095; i++) {
      const step = applyLifecycle(r, r.state === 'approved' ? 'revoke' : 'approve', `op${i}`, new Date(Date.UTC(2026, 0, 1, 0, 0, i)));
      assert.ok(step.ok);
      r = step.release;
    }
    assert.ok(r.transitions.length <= 100, `${r.transitions.length} transitions kept`);
    assert.ok(r.transitions.length >= 10, 'recent history is still there');
    assert.equal(r.transitions.at(-1)!.by, 'op6094');
    assert.equal(r.transitions.at(-1)!.to, r.state);
  });
});
