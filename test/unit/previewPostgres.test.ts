// The PostgreSQL preview's pieces that need no database: the ranges of pages it reads, and the check that a range's
// text splits exactly into its clients (else the range is read again as rows).
import assert from 'node:assert/strict';
import { PreviewTally, withPolicyDefaults } from '../../src/core';
import { pageRanges, tallyPlainLines } from '../../src/server/heavy/previewPostgres';

const tally = () => new PreviewTally(withPolicyDefaults({ mode: 'auto' }), [], new Date('2026-01-01T00:00:00Z'), { outcomesByRelease: {} });

describe('PostgreSQL preview: ranges of pages', () => {
  for (const pages of [0, 1, 255, 256, 257, 1_000, 6_144, 24_737, 100_000]) {
    it(`${pages} pages: contiguous from page 0, the last one open, none empty before it`, () => {
      const ranges = pageRanges(pages);
      assert.equal(ranges[0].from, 0);
      for (let k = 0; k + 1 < ranges.length; k++) {
        assert.equal(ranges[k].to, ranges[k + 1].from);
        assert.ok(ranges[k].to! > ranges[k].from);
      }
      assert.equal(ranges[ranges.length - 1].to, undefined);
      assert.ok(ranges.length <= 25, `${ranges.length} ranges`);
      assert.ok(ranges[ranges.length - 1].from <= Math.max(0, pages - 1) || pages === 0);
    });
  }
});

describe('PostgreSQL preview: a range as text', () => {
  const cases: Array<[string, string | null, number, boolean, number]> = [
    ['no clients', null, 0, true, 0],
    ['plain lines', 'a\t1.0.0\t\nb\t2.0.0\t2030-01-01T00:00:00.000Z', 2, true, 2],
    ['NULL text for rows', null, 3, false, 0],
    ['a tab inside an id', 'a\tb\t1.0.0\t', 1, false, 0],
    ['a line break inside an id', 'a\nb\t1.0.0\t', 1, false, 0],
    ['a line break that makes a line of its own', 'x\t1.0.0\t\n\n', 1, false, 0],
    ['fewer lines than rows', 'a\t1.0.0\t', 2, false, 0],
    ['one tab only', 'a\t1.0.0', 1, false, 0],
  ];
  for (const [what, text, n, ok, total] of cases) {
    it(`${what}: ${ok ? 'tallied' : 'refused, nothing tallied'}`, () => {
      const t = tally();
      assert.equal(tallyPlainLines(text, n, t), ok);
      assert.equal(t.total, total);
    });
  }
});
