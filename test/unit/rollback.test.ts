import assert from 'node:assert/strict';
import { planRollback, rollbackTargetFor } from '../../src/core';
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
    const p = planRollback('rel-3.59.228.0', [release('3.58.0.0', 'pending'), release('3.59.127.0', 'pending'), release('3.59.228.0', 'approved')]);
    assert.ok(p.ok);
    if (p.ok) {
      assert.equal(p.target, null);
      assert.equal(p.mustApprove?.version, '3.59.127.0');
      assert.equal(p.revivesRetired, false);
      assert.match(p.message, /Approve 3\.59\.127\.0 first/);
    }
  });
  it('says so when the version to approve is retired (no longer supported)', () => {
    const p = planRollback('rel-3.59.228.0', [release('3.58.0.0', 'retired'), release('3.59.127.0', 'retired'), release('3.59.228.0', 'approved')]);
    assert.ok(p.ok && p.mustApprove?.version === '3.59.127.0' && p.revivesRetired);
    if (p.ok) assert.match(p.message, /retired \(no longer supported\)/);
  });
  it('a stable release does not fall back to a beta', () => {
    const p = planRollback('4.0.0', [release('3.59.127.0', 'approved'), release('4.0.0-beta.1', 'approved', { channel: 'beta' }), release('4.0.0', 'approved')]);
    assert.ok(p.ok && p.target?.version === '3.59.127.0');
  });
  // Issue 11: with 3.59.127.0 revoked, rolling back 3.59.228.0 goes where its clients came from.
  const catalog = [release('3.58.0.0', 'retired'), release('3.59.0.0', 'approved'), release('3.59.127.0', 'revoked'), release('3.59.228.0', 'approved')];
  const origins: Array<{ rule: string; origins: Array<{ version: string; clients: number }>; target: string; state: string; revives: boolean; basis: string }> = [
    { rule: 'no history: the highest approved version below', origins: [], target: '3.59.0.0', state: 'approved', revives: false, basis: 'highest-below' },
    { rule: 'the version most clients ran before, even below the highest approved', origins: [{ version: '3.58.0.0', clients: 7 }, { version: '3.59.0.0', clients: 2 }], target: '3.58.0.0', state: 'retired', revives: true, basis: 'history' },
    { rule: 'a revoked origin is skipped for the next most common', origins: [{ version: '3.59.127.0', clients: 9 }, { version: '3.59.0.0', clients: 3 }], target: '3.59.0.0', state: 'approved', revives: false, basis: 'history' },
    { rule: 'an origin never registered is skipped', origins: [{ version: '3.57.0.0', clients: 9 }], target: '3.59.0.0', state: 'approved', revives: false, basis: 'highest-below' },
    { rule: 'an origin newer than the release is not a rollback', origins: [{ version: '3.60.0.0', clients: 9 }, { version: '3.58.0.0', clients: 1 }], target: '3.58.0.0', state: 'retired', revives: true, basis: 'history' },
  ];
  for (const o of origins) {
    it(`rollback origin: ${o.rule}`, () => {
      const p = planRollback('3.59.228.0', [...catalog, release('3.60.0.0', 'pending')], o.origins);
      assert.ok(p.ok);
      if (!p.ok) return;
      const t = p.target ?? p.mustApprove;
      assert.equal(t?.version, o.target);
      assert.equal(t?.state, o.state);
      assert.equal(p.revivesRetired, o.revives);
      assert.equal(p.basis, o.basis);
    });
  }
  it('check-ins of a revoked release follow the target its rollback chose while it stays approved', () => {
    const bad = release('3.59.228.0', 'revoked', { rollbackTo: 'rel-3.58.0.0' });
    assert.equal(rollbackTargetFor(bad, [release('3.58.0.0', 'approved'), release('3.59.0.0', 'approved'), bad])?.version, '3.58.0.0');
    assert.equal(rollbackTargetFor(bad, [release('3.58.0.0', 'retired'), release('3.59.0.0', 'approved'), bad])?.version, '3.59.0.0');
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
