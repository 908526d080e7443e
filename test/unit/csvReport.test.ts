// The report's rows: the direct join for plain rows must be byte for byte what csv-stringify writes, and what comes
// out must read back, with Python's csv module too, as the cells that went in (formulas neutralised).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { seededRandom } from '../../src/core';
import { neutraliseFormula } from '../../src/core/csvSafe';
import Database from 'better-sqlite3';
import { CSV_COLUMNS, CSV_SOURCE_COLUMNS, csvHeader, csvRows } from '../../src/server/heavy/csvReport';
import { CsvChunkWriter, csvLineSql, MAX_CASE_GROUPS, plainChunkText } from '../../src/server/heavy/csvChunks';

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

  it('chunks written by SQLite (csvLineSql) equal csvRows on random rows, NULLs, NULs and group names of every kind', () => {
    const db = new Database(':memory:');
    db.exec(`CREATE TABLE clients (${CSV_SOURCE_COLUMNS.map((c) => `${c} TEXT`).join(', ')}); CREATE TABLE groups (id TEXT PRIMARY KEY, name TEXT)`);
    const groups: Record<string, string> = { g1: 'Office', g2: '=HYPERLINK("x")', g3: 'a,b', g4: 'two\nlines', g5: '', g6: 'CR\rhere' };
    const insert = db.prepare(`INSERT INTO clients VALUES (${CSV_SOURCE_COLUMNS.map(() => '?').join(', ')})`);
    const GROUP_AT = CSV_SOURCE_COLUMNS.indexOf('group_id');
    // A few groups are named by one CASE, many by a lookup per row: both ways, the same text.
    const many = Object.fromEntries(Array.from({ length: MAX_CASE_GROUPS + 1 }, (_, i) => [`g${i + 1}`, groups[`g${i + 1}`] ?? `group ${i}`]));
    for (const names of [groups, many]) {
      // The groups table holds what the server names them by (the lookup reads it).
      db.exec('DELETE FROM groups');
      for (const [id, name] of Object.entries(names)) db.prepare('INSERT INTO groups VALUES (?, ?)').run(id, name);
      const expected = (rows: unknown[][]) => csvRows(rows.map((r) => r.map((v, i) => (i === GROUP_AT ? names[v as string] ?? v : v))));
      const job = {
        lines: { sql: `SELECT group_concat(c0, char(10)) || char(10), count(*) FROM (SELECT ${csvLineSql(names)} AS c0 FROM clients ORDER BY rowid)`, parameters: [] },
        cells: { sql: `SELECT ${CSV_SOURCE_COLUMNS.join(', ')} FROM clients ORDER BY rowid`, parameters: [] },
      };
      const writer = new CsvChunkWriter(db, names);
      for (let seed = 1; seed <= 20; seed++) {
        db.exec('DELETE FROM clients');
        const rnd = seededRandom(seed * 31);
        const rows = randomRows(seed, 200).map((r) => r.map((v, i) => (i === GROUP_AT ? `g${1 + Math.floor(rnd() * 7)}` : rnd() < 0.1 && i !== 0 ? null : v)));
        for (const r of rows) insert.run(...r);
        assert.equal(writer.text(job), expected(rows), `seed ${seed}`);
      }
      // Plain rows: SQLite's text is taken as it is, and it is csvRows' text.
      db.exec('DELETE FROM clients');
      const plainRows = Array.from({ length: 50 }, (_, i) => CSV_SOURCE_COLUMNS.map((c, k) => (k === GROUP_AT ? `g${1 + (i % 6)}` : k === 9 ? `Reason, "quoted" ${i}` : `${c} ${i}`)));
      for (const r of plainRows) insert.run(...r);
      const [lines, n] = db.prepare(job.lines.sql).raw().get() as [string, number];
      const texts = Object.values(names).slice(0, 6);
      if (!texts.some((t) => /[\r\n]/.test(t))) assert.equal(plainChunkText(lines, n), expected(plainRows));
      else assert.equal(plainChunkText(lines, n), undefined, 'a group name with a line break');
      // A NUL character in any cell: the row comes out whole (SQL's || keeps it; csvRows writes the chunk).
      for (let col = 0; col < CSV_SOURCE_COLUMNS.length; col++) {
        if (col === GROUP_AT) continue;
        db.exec('DELETE FROM clients');
        const row = CSV_SOURCE_COLUMNS.map((c, i) => (i === GROUP_AT ? 'g1' : i === col ? `a\u0000b ${c}` : `plain ${c}`));
        insert.run(...row);
        const got = writer.text(job);
        assert.equal(got, expected([row]), CSV_SOURCE_COLUMNS[col]);
        assert.ok(got.includes(`a\u0000b ${CSV_SOURCE_COLUMNS[col]}`), JSON.stringify(got));
      }
      writer.close();
    }
    db.close();
  });

  it('takes a chunk as SQLite wrote it only when every line is what csvRows writes (plainChunkText)', () => {
    const line = (cells: string[]) => cells.join(',');
    const plain = ['PC-1', 'Name 1', '10.0.0.1', '', 'j.doe', 'Office', '1.0.0', '2.0.0', 'failed', '"Disk full, ""C:"""', '2026-01-01T00:00:00Z'];
    const accept: Array<[string, string[]]> = [
      ['a plain row', plain],
      ['empty cells and an unquoted reason', ['PC-2', '', '', '', '', 'Default', '1.0.0', '', 'up-to-date', 'no update', '']],
      ['a formula character inside a cell', ['PC=3', 'a+b', '1-2', 'x@y', 'u', '"a,b"', '1', '2', 'waiting', "'=1", 'now']],
    ];
    for (const [what, cells] of accept) {
      const text = `${line(cells)}\n${line(plain)}\n`;
      assert.equal(plainChunkText(text, 2), text, what);
    }
    const reject: Array<[string, string[]]> = [];
    for (const [at, column] of [[0, 'computer'], [1, 'name'], [2, 'ip'], [3, 'address'], [4, 'user'], [6, 'version'], [7, 'target'], [8, 'state'], [10, 'last seen']] as const) {
      for (const bad of ['a,b', 'a"b', '=1', '+1', '-1', '@x', '\tx', 'a\rb', 'a\u0000b']) reject.push([`${JSON.stringify(bad)} in ${column}`, plain.map((c, i) => (i === at ? bad : c))]);
    }
    reject.push(['a line break in the reason', plain.map((c, i) => (i === 9 ? '"a\nb"' : c))]);
    reject.push(['a CR in the group', plain.map((c, i) => (i === 5 ? '"a\rb"' : c))]);
    reject.push(['a lone quote in the reason', plain.map((c, i) => (i === 9 ? '"a"b"' : c))]);
    for (const [what, cells] of reject) assert.equal(plainChunkText(`${line(plain)}\n${line(cells)}\n`, 2), undefined, what);
    assert.equal(plainChunkText(`${line(plain)}\n${line(plain)}\n`, 3), undefined, 'fewer lines than rows');
    assert.equal(plainChunkText(`${line(plain)}\n${line(plain)}\n`, 1), undefined, 'more lines than rows');
    assert.equal(plainChunkText(null, 0), '');
  });
});
