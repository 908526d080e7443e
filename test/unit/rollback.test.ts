import assert from 'node:assert/strict';
import { planRollback } from '../../src/core';
import { release } from './fixtures';

describe('core/rollback plan (seed 000: rollback needs the previous version approved)', () => {
  it('targets the highest approved version below the release', () => {
    const p = planRollback('3.59.228.0', [release('3.58.0.0', 'approved'), release('3.59.127.0', 'approved'), release('3.59.228.0', 'approved'), release('3.60.0.0', 'approved')]);
    assert.ok(p.ok);
    if (p.ok) {
      assert.equal(p.target?.version, '3.59.127.0');
      assert.equal(p.mustApprove, null);
    }
  });
  it('names the version that must be approved first when none below is approved', () => {
    const p = planRollback('rel-3.59.228.0', [release('3.58.0.0', 'retired'), release('3.59.127.0', 'retired'), release('3.59.228.0', 'approved')]);
    assert.ok(p.ok);
    if (p.ok) {
      assert.equal(p.target, null);
      assert.equal(p.mustApprove?.version, '3.59.127.0');
      assert.match(p.message, /Approve 3\.59\.127\.0 first/);
    }
  });
  it('a stable release does not fall back to a beta', () => {
    const p = planRollback('4.0.0', [release('3.59.127.0', 'approved'), release('4.0.0-beta.1', 'approved', { channel: 'beta' }), release('4.0.0', 'approved')]);
    assert.ok(p.ok && p.target?.version === '3.59.127.0');
  });
  const refused: Array<[string, string, string]> = [
    ['an unknown release', '9.9.9', 'not-found'],
    ['a pending release', '3.59.228.0', 'not-rollbackable'],
    ['the oldest release', '3.59.127.0', 'no-previous-version'],
  ];
  for (const [what, ref, code] of refused) {
    it(`refuses ${what}`, () => {
      const p = planRollback(ref, [release('3.59.127.0', 'approved'), release('3.59.228.0', 'pending')]);
      assert.equal(p.ok, false);
      if (!p.ok) assert.equal(p.code, code);
    });
  }
});
