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
