// The client report's rows: one definition for the columns and the cell guard, used by the worker that writes it.
import { stringify } from 'csv-stringify/sync';
import { CSV_STRINGIFY_OPTIONS, neutraliseFormula } from '../../core/csvSafe';

export const CSV_COLUMNS = ['computer', 'name', 'ip', 'address', 'last user', 'group', 'version', 'target version', 'state', 'reason', 'last seen'];

/** csv-stringify decides quoting, with the options that quote every cell holding CR or LF (core/csvSafe). */
const OPTIONS = CSV_STRINGIFY_OPTIONS;

export function csvHeader(): string {
  return stringify([CSV_COLUMNS], OPTIONS);
}

/**
 * One report row per client tuple (the CSV_COLUMNS in order; null for empty). Every cell through the formula guard:
 * names and reasons come from client machines. A row without a line break in any cell is written directly, a
 * cell with a comma or quote quoted with its quotes doubled — exactly what csv-stringify writes for it (a test holds
 * the two equal on random rows), in one pass and at a fraction of the cost; a row with a line break goes through
 * csv-stringify.
 */
export function csvRows(rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
  let out = '';
  let special: string[][] | undefined;
  for (const row of rows) {
    let line = '';
    let plain = true;
    for (let i = 0; i < row.length; i++) {
      let cell = neutraliseFormula(row[i]);
      if (cell.includes('\n') || cell.includes('\r')) {
        plain = false;
        break;
      }
      // A comma or a quote: quoted, quotes doubled — what csv-stringify writes for such a cell.
      if (cell.includes(',') || cell.includes('"')) cell = `"${cell.replace(/"/g, '""')}"`;
      line = i === 0 ? cell : line + ',' + cell;
    }
    if (plain) {
      if (special) { out += stringify(special, OPTIONS); special = undefined; }
      out += line + '\n';
    } else {
      // A line break inside a cell: csv-stringify itself.
      (special ??= []).push(row.map(neutraliseFormula));
    }
  }
  if (special) out += stringify(special, OPTIONS);
  return out;
}

/** The report's columns as stored, in CSV_COLUMNS order; the group's column holds its id (the worker names it). */
export const CSV_SOURCE_COLUMNS = ['computer', 'name', 'ip', 'address', 'user_name', 'group_id', 'version', 'target_version', 'state', 'reason', 'last_seen'] as const;
const GROUP_AT = CSV_SOURCE_COLUMNS.indexOf('group_id');

/** SQLite: a cell as csvRows writes it when its row has no line break (formula guard at the start, then quoting). */
function cellSql(col: string): string {
  const guarded = `(CASE WHEN substr(${col}, 1, 1) IN ('=', '+', '-', '@', char(9), char(13)) THEN '''' || ${col} ELSE ${col} END)`;
  return `(CASE WHEN ${col} IS NULL THEN '' WHEN instr(${col}, ',') > 0 OR instr(${col}, '"') > 0 THEN '"' || replace(${guarded}, '"', '""') || '"' ELSE ${guarded} END)`;
}

/**
 * SQLite writes the report's lines itself: a JavaScript string per part of a row instead of one per cell (reading
 * the cells was most of an export's cost). `head` holds the cells before the group, `tail` those after it; both are
 * NULL for a row with a line break in a cell, and only such a row carries its cells (`raw`), for csv-stringify.
 * Each cell is encoded on its own, as csv-stringify does, so a line is the cells' encodings joined by commas.
 */
export function csvLineSql(): { head: string; tail: string; raw: string[] } {
  const cols = CSV_SOURCE_COLUMNS.filter((c) => c !== 'group_id');
  const plain = cols.map((c) => `instr(coalesce(${c}, ''), char(10)) = 0 AND instr(coalesce(${c}, ''), char(13)) = 0`).join(' AND ');
  const join = (part: readonly string[]) => `CASE WHEN ${plain} THEN ${part.map(cellSql).join(` || ',' || `)} END`;
  return {
    head: join(CSV_SOURCE_COLUMNS.slice(0, GROUP_AT)),
    tail: join(CSV_SOURCE_COLUMNS.slice(GROUP_AT + 1)),
    raw: CSV_SOURCE_COLUMNS.map((c) => `CASE WHEN ${plain} THEN NULL ELSE ${c} END`),
  };
}

/** Lines from rows read with csvLineSql(): [head, group id, tail, ...raw cells]; `groupName` names a group id. */
export function csvLinesFromSql(rows: ReadonlyArray<ReadonlyArray<unknown>>, groupName: (id: string) => string): string {
  let out = '';
  // A cell encoded alone is the cell as it is in any row (a name with a line break comes out quoted).
  const groupCells = new Map<string, string>();
  let special: unknown[][] | undefined;
  for (const r of rows) {
    const id = r[1] as string;
    if (r[0] !== null) {
      let group = groupCells.get(id);
      if (group === undefined) groupCells.set(id, (group = csvRows([[groupName(id)]]).slice(0, -1)));
      if (special) { out += csvRows(special); special = undefined; }
      out += `${r[0] as string},${group},${r[2] as string}\n`;
    } else {
      (special ??= []).push(r.slice(3).map((v, i) => (i === GROUP_AT ? groupName(id) : v)));
    }
  }
  if (special) out += csvRows(special);
  return out;
}
