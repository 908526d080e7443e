// PostgreSQL's trigram index (pg_trgm) reads only letters and digits: every other character ends a word. A search
// for "10.3." or "q=9&" then asks for the trigrams of "10" and "3", which nearly every row has, and the index
// narrows nothing (a second and more per search at a million clients). So the searched text is stored with each
// common punctuation character spelled in letters ("." → "zqd"), in the text and in the search alike: a text that
// contains the search still contains it spelled so (the spelling is per character), and the trigrams now span the
// punctuation. What the spelling lets through that is not a match (a "zqd" typed by someone) the per-column test
// after the index removes. The fields stay apart (\x01 is not spelled).
export const TRIGRAM_SPELLING: ReadonlyArray<readonly [string, string]> = [
  [' ', 'zqs'], ['.', 'zqd'], ['-', 'zqh'], ['_', 'zqu'], ['@', 'zqa'], [':', 'zqc'], ['/', 'zqf'], ['\\', 'zqb'],
  [',', 'zqm'], ['=', 'zqe'], ['&', 'zqn'], ['%', 'zqp'], ['"', 'zqw'], ["'", 'zqt'], ['+', 'zqk'], ['#', 'zqx'],
  ['(', 'zqo'], [')', 'zqr'], ['?', 'zqi'], ['!', 'zqj'], [';', 'zql'], ['*', 'zqv'], ['[', 'zqg'], [']', 'zqy'],
];

const SPELLED = new Map(TRIGRAM_SPELLING);

/** A search text (already lower-cased) spelled as the stored text is. */
export function trigramSpelling(text: string): string {
  let out = '';
  for (const ch of text) out += SPELLED.get(ch) ?? ch;
  return out;
}

/** The same, in PostgreSQL, over an SQL expression (nested replace(): the order does not matter, no code holds another's character). */
export function trigramSpellingSql(expr: string): string {
  return TRIGRAM_SPELLING.reduce((e, [ch, code]) => `replace(${e}, '${ch.replace(/'/g, "''")}', '${code}')`, expr);
}

/** One character that the spelling replaces: where a search text's plain runs end. */
const SPELLED_CHARACTER = new RegExp(`[${TRIGRAM_SPELLING.map(([ch]) => ch.replace(/[\\\]^-]/g, '\\$&')).join('')}]`);

/**
 * What of a search text (lower-cased) the trigram index should look for: the whole text spelled, or one of its plain
 * runs (three characters or more between spelled characters), whichever the fewest of `sample` (stored texts, a
 * random sample of the table) contain. Any of them is in every row that matches, so the literal test after the index
 * decides alone what matches; this only decides how much the index hands it. The spelled punctuation's trigrams are
 * in nearly every row and costly to intersect (`PC-0123456`: 32 ms through the index, `0123456` alone 2 ms), but a
 * plain run can also be the broadest part (`name` in `Name 77`). On a tie the plain run wins, the longest first.
 */
export function narrowingPart(text: string, sample: readonly string[]): string {
  const whole = trigramSpelling(text);
  const runs = text.split(SPELLED_CHARACTER).filter((r) => r !== whole && [...r].length >= 3);
  if (runs.length === 0 || sample.length === 0) return whole;
  const hits = (part: string) => sample.reduce((n, row) => (row.includes(part) ? n + 1 : n), 0);
  // The run the fewest sampled rows hold (the longest of those tied), then the run unless the whole spelling is rarer.
  const [run, runHits] = runs
    .sort((a, b) => b.length - a.length)
    .map((r) => [r, hits(r)] as const)
    .reduce((best, next) => (next[1] < best[1] ? next : best));
  return runHits <= hits(whole) ? run : whole;
}
