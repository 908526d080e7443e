// The report's rows: the direct join for plain rows must be byte for byte what csv-stringify writes, and what comes
// out must read back, with Python's csv module too, as the cells that went in (formulas neutralised).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { seededRandom } from '../../src/core';
import { neutraliseFormula } from '../../src/core/csvSafe';
import Database from 'better-sqlite3';
import { CSV_COLUMNS, CSV_SOURCE_COLUMNS, csvHeader, csvLineSql, csvLinesFromSql, csvRows } from '../../src/server/heavy/csvReport';

const ALPHABET = ['a', 'Z', '7', ' ', ',', '"', '\r', '\n', '=', '+', '-', '@', '\t', 'é', '€', ';', "'"];

function randomRows(seed: number, n: number): string[][] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, () => Array.from({ length: CSV_COLUMNS.length }, () => {
    const len = Math.floor(rnd() * 8);
    let s = '';
    for (let i = 0; i < len; i++) s += rnd() < 0.6 ? 'abcXYZ019.-'[Math.floor(rnd() * 11)] : ALPHABET[Math.floor(rnd() * ALPHABET.length)];
    return s;
  }));
}

describe('client report rows', () => {
  it('equal csv-stringify\'s output on random rows, quoting every cell with CR or LF', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rows = randomRows(seed, 200);
      const expected = stringify(rows.map((r) => r.map(neutraliseFormula)), { record_delimiter: 'unix', quoted_match: /[\r\n]/ });
      assert.equal(csvRows(rows), expected, `seed ${seed}`);
    }
  });

  it('read back as the neutralised cells, in csv-parse and in Python\'s csv module', () => {
    const rows = randomRows(99, 300).concat([['CSVX\r=1+1', 'a\nb', '"q"', '=SUM(A1)', '', 'x', 'y', 'z', 'w', 'v', 'u']]);
    const text = csvHeader() + csvRows(rows);
    const expected = rows.map((r) => r.map(neutraliseFormula));
    const parsed = parse(text, { relax_column_count: false }) as string[][];
    assert.deepEqual(parsed.slice(1), expected);
    const py = execFileSync('python3', ['-c', 'import csv,sys,io,json; print(json.dumps(list(csv.reader(io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline="")))))'], { input: text }).toString();
    const fromPython = JSON.parse(py) as string[][];
    assert.equal(fromPython.length, rows.length + 1, 'no row split by a bare CR or LF');
    assert.deepEqual(fromPython.slice(1), expected);
    // The row a spreadsheet would see first in the cell after a CR stays text.
    assert.ok(!fromPython.slice(1).some((r) => /^[=+\-@]/.test(r[0])), 'no live formula in a first cell');
  });

  it('lines written by SQLite (csvLineSql) equal csvRows on random rows, NULLs and group names of every kind', () => {
    const db = new Database(':memory:');
    db.exec(`CREATE TABLE clients (${CSV_SOURCE_COLUMNS.map((c) => `${c} TEXT`).join(', ')})`);
    const groups: Record<string, string> = { g1: 'Office', g2: '=HYPERLINK("x")', g3: 'a,b', g4: 'two\nlines', g5: '' };
    const insert = db.prepare(`INSERT INTO clients VALUES (${CSV_SOURCE_COLUMNS.map(() => '?').join(', ')})`);
    const GROUP_AT = CSV_SOURCE_COLUMNS.indexOf('group_id');
    const line = csvLineSql();
    const select = db.prepare(`SELECT ${line.join(', ')}, rowid FROM clients ORDER BY rowid`).raw();
    const cells = db.prepare(`SELECT ${CSV_SOURCE_COLUMNS.join(', ')} FROM clients WHERE rowid = ?`).raw();
    for (let seed = 1; seed <= 20; seed++) {
      db.exec('DELETE FROM clients');
      const rnd = seededRandom(seed * 31);
      const rows = randomRows(seed, 200).map((r) => r.map((v, i) => (i === GROUP_AT ? `g${1 + Math.floor(rnd() * 5)}` : rnd() < 0.1 ? null : v)));
      for (const r of rows) insert.run(...r);
      const got = csvLinesFromSql(select.all() as unknown[][], (id) => groups[id] ?? id, (seq) => cells.get(seq) as unknown[] | undefined);
      assert.equal(got, csvRows(rows.map((r) => r.map((v, i) => (i === GROUP_AT ? groups[v as string] : v)))), `seed ${seed}`);
    }
    // A NUL character in any cell (printf would cut the cell there): the row comes out whole.
    for (let col = 0; col < CSV_SOURCE_COLUMNS.length; col++) {
      if (col === GROUP_AT) continue;
      db.exec('DELETE FROM clients');
      const row = CSV_SOURCE_COLUMNS.map((c, i) => (i === GROUP_AT ? 'g1' : i === col ? `a\u0000b ${c}` : `plain ${c}`));
      insert.run(...row);
      const got = csvLinesFromSql(select.all() as unknown[][], (id) => groups[id] ?? id, (seq) => cells.get(seq) as unknown[] | undefined);
      assert.equal(got, csvRows([row.map((v, i) => (i === GROUP_AT ? groups[v] : v))]), CSV_SOURCE_COLUMNS[col]);
      assert.ok(got.includes(`a\u0000b ${CSV_SOURCE_COLUMNS[col]}`), JSON.stringify(got));
    }
    db.close();
  });
});
