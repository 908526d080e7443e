// PostgreSQL's searched text is spelled for pg_trgm (punctuation in letters); narrowingPart picks what of a search the
// trigram index should look for. Whatever it picks must be in every row that matches (the literal test after the
// index decides alone), so each case also checks that: the part is a substring of the spelled text.
import assert from 'node:assert/strict';
import { narrowingPart, trigramSpelling } from '../../src/server/store/trigramText';

/** A fleet like the bench's: every row has "name", "pc-0", "user" and dotted addresses. */
const sample = Array.from({ length: 2000 }, (_, i) =>
  trigramSpelling(`name ${i}\x01pc-${String(i * 499).padStart(7, '0')}\x0110.${i % 7}.${i % 250}.${i % 13}\x01user${i}.name`));

describe('trigram spelling', () => {
  it('spells punctuation in letters, character by character, and leaves the rest', () => {
    assert.equal(trigramSpelling('10.3.'), '10zqd3zqd');
    assert.equal(trigramSpelling('pc-01 a_b'), 'pczqh01zqsazqub');
    assert.equal(trigramSpelling('é\x01x'), 'é\x01x');
  });

  const cases: Array<[string, string, string]> = [
    ['a rare number after a prefix every row has', 'pc-0123456', '0123456'],
    ['a rare run before punctuation', 'user4242.', 'user4242'],
    ['the plain run is the broad part: the whole spelling', 'name 77', 'namezqs77'],
    ['no run of three characters: the whole spelling', '10.3.', '10zqd3zqd'],
    ['a run that one row in nine has: the whole spelling', 'user1.name', 'user1zqdname'],
    ['no punctuation: the text itself', 'needle', 'needle'],
    ['runs of two characters only', 'q=9&', 'qzqe9zqn'],
    ['two rare runs: the longer', 'abcdef-xyz', 'abcdef'],
  ];
  for (const [what, text, want] of cases) {
    it(`narrowing part: ${what} (${JSON.stringify(text)} → ${JSON.stringify(want)})`, () => {
      const got = narrowingPart(text, sample);
      assert.equal(got, want);
      assert.ok(trigramSpelling(text).includes(got), 'in every row the text matches');
    });
  }

  it('without a sample (not taken yet) the whole spelling narrows', () => {
    assert.equal(narrowingPart('pc-0123456', []), 'pczqh0123456');
  });
});
