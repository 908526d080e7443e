// The CSV formula guard, checked the way a victim reads the file: Python's csv module parsing the real output of
// csv-stringify with the options the report uses. A cell must never come out as a row of its own or start a formula.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { stringify } from 'csv-stringify/sync';
import { CSV_STRINGIFY_OPTIONS, neutraliseFormula } from '../../src/core/csvSafe';

const PY = 'import csv, json, sys\nprint(json.dumps(list(csv.reader(sys.stdin, dialect="excel"))))';

function parseWithPython(text: string): string[][] {
  // newline='' semantics: Python must see CR and LF as they are, as a spreadsheet would.
  const r = spawnSync('python3', ['-c', `import io, sys\nsys.stdin = io.TextIOWrapper(sys.stdin.buffer, newline='')\n${PY}`], { input: text, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[][];
}

const FORMULA = /^[=+\-@\t\r]/;

describe('CSV formula guard (csvSafe)', () => {
  const hostile = ['CSVX\r=1+1', 'CSVX\n=1+1', 'CSVX\r\n@SUM(A1)', 'a\r\r+cmd', '=HYPERLINK("x")', '-2+3', 'plain', 'name, with "quotes"', '\t=1'];

  it('a name with a CR or LF before a formula stays one cell of one row, and no cell starts a formula', () => {
    const rows = [['computer', 'name'], ...hostile.map((h, i) => [`PC-${i}`, neutraliseFormula(h)])];
    const parsed = parseWithPython(stringify(rows, CSV_STRINGIFY_OPTIONS));
    assert.equal(parsed.length, rows.length, 'one row per client');
    for (const [i, row] of parsed.entries()) {
      assert.equal(row.length, 2, `row ${i} has two cells: ${JSON.stringify(row)}`);
      for (const cell of row) {
        for (const line of cell.split(/\r\n|\r|\n/)) assert.doesNotMatch(line, FORMULA, `no line of a cell starts a formula: ${JSON.stringify(cell)}`);
      }
    }
    assert.equal(parsed[1]![1], "CSVX\r'=1+1");
  });

  it('keeps harmless text as it is', () => {
    assert.equal(neutraliseFormula('Mail server 3'), 'Mail server 3');
    assert.equal(neutraliseFormula('a\nb'), 'a\nb');
    assert.equal(neutraliseFormula(null), '');
    assert.equal(neutraliseFormula('=1'), "'=1");
  });
});
