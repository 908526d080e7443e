// The preview decides once per class of clients; on random fleets and policies its counts must equal deciding
// every client one by one with decide() — the function the check-in calls.
import assert from 'node:assert/strict';
import { decide, emptyPreviewCounts, inRollout, PreviewTally, seededRandom, type Policy, type Release } from '../../src/core';
import { noFacts, policy, release } from './fixtures';

describe('policy preview by class', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  for (let seed = 1; seed <= 40; seed++) {
    it(`equals the per-client decision on random fleet #${seed}`, () => {
      const rnd = seededRandom(seed * 7919);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
      const versions = ['1.2.2', '3.58.0.0', '3.59.127.0', '3.59.228.0', '4.0.0-beta.1', '2.0.0', 'junk'];
      const releases: Release[] = versions.filter((v) => v !== 'junk').map((v) => release(v, pick(['approved', 'approved', 'pending', 'revoked', 'retired'] as const), { mandatory: rnd() < 0.2 }));
      const p: Policy = policy({
        mode: pick(['auto', 'pinned', 'none'] as const),
        pinnedVersion: pick(versions),
        channel: pick(['stable', 'beta'] as const),
        delivery: pick(['forced', 'on-demand'] as const),
        allowDowngrade: rnd() < 0.5,
        rolloutPercent: pick([100, 50, 10, 0, 33.3]),
        window: rnd() < 0.2 ? { start: '22:00', end: '05:00', timeZone: 'UTC' } : null,
      });
      const facts = { ...noFacts, minimumAutoUpgradeVersion: rnd() < 0.5 ? '1.2.2' : null };
      const tally = new PreviewTally(p, releases, now, facts);
      const expected = emptyPreviewCounts();
      const n = 2_000;
      for (let i = 0; i < n; i++) {
        const c = {
          id: `client-${seed}-${i}`,
          version: pick(versions),
          deferredUntil: pick([null, '2026-11-20T00:00:00Z', '2026-11-26T00:00:00Z', '2026-12-01T09:30:00Z', 'not a date']),
        };
        expected[decide(c, p, releases, now, facts).action]++;
        tally.add(c);
      }
      assert.deepEqual(tally.counts, expected);
      assert.equal(tally.total, n);
      assert.ok(tally.decisions < n / 4, `decided ${tally.decisions} times for ${n} clients`);
    });
  }

  it('a client\'s rollout mask is inRollout()\'s answer for each approved release, whatever the id', () => {
    const releases = [release('3.59.127.0', 'approved'), release('3.59.228.0', 'pending'), release('4.0.0', 'approved')];
    for (const percent of [0, 0.01, 10, 33.3, 50, 99.99]) {
      const tally = new PreviewTally(policy({ rolloutPercent: percent }), releases, now, noFacts);
      for (const id of ['a', 'client-1', 'ÉCOLE-Ω', '', 'x'.repeat(300), 'client-99999']) {
        const want = releases.filter((r) => r.state === 'approved').map((r) => (inRollout(id, r.id, percent) ? '1' : '0')).join('');
        assert.equal(tally.rolloutMask(id), want, `${id} at ${percent}%`);
        // The number a database groups by: bit k is the mask's character k.
        const bits = [...want].reduce((b, ch, k) => (ch === '1' ? b | (1 << k) : b), 0);
        assert.equal(tally.rolloutBits(id), bits, `${id} at ${percent}% as bits`);
      }
    }
  });

  it('past 30 approved releases the rollout bits are the mask itself (a number has no room)', () => {
    const many = Array.from({ length: 31 }, (_, i) => release(`1.0.${i}`, 'approved'));
    const tally = new PreviewTally(policy({ rolloutPercent: 50 }), many, now, noFacts);
    assert.equal(tally.rolloutBits('client-7'), tally.rolloutMask('client-7'));
    assert.equal(String(tally.rolloutBits('client-7')).length, 31);
  });
});
