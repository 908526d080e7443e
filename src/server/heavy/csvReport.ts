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
 * the cells was most of an export's cost). `head` holds the cells before the group, `tail` those after it. Each cell
 * is encoded on its own, as csv-stringify does, so a line is the cells' encodings joined by commas — unless a cell
 * holds a line break: the guard and the quoting add none, so a part with CR or LF tells that its row must go through
 * csv-stringify with its cells as stored (read again by `seq`).
 */
export function csvLineSql(): { head: string; tail: string } {
  return {
    head: CSV_SOURCE_COLUMNS.slice(0, GROUP_AT).map(cellSql).join(` || ',' || `),
    tail: CSV_SOURCE_COLUMNS.slice(GROUP_AT + 1).map(cellSql).join(` || ',' || `),
  };
}

/**
 * Lines from rows read with csvLineSql(): [head, group id, tail, seq]; `groupName` names a group id, `cellsOf` reads
 * a row's cells as stored (CSV_SOURCE_COLUMNS) for the rare row with a line break.
 */
export function csvLinesFromSql(rows: ReadonlyArray<ReadonlyArray<unknown>>, groupName: (id: string) => string, cellsOf: (seq: number) => unknown[] | undefined): string {
  let out = '';
  // A cell encoded alone is the cell as it is in any row (a name with a line break comes out quoted).
  const groupCells = new Map<string, string>();
  let special: unknown[][] | undefined;
  for (const r of rows) {
    const id = r[1] as string;
    const head = r[0] as string;
    const tail = r[2] as string;
    if (!/[\r\n]/.test(head) && !/[\r\n]/.test(tail)) {
      let group = groupCells.get(id);
      if (group === undefined) groupCells.set(id, (group = csvRows([[groupName(id)]]).slice(0, -1)));
      if (special) { out += csvRows(special); special = undefined; }
      out += `${head},${group},${tail}\n`;
    } else {
      const cells = cellsOf(r[3] as number);
      if (cells) (special ??= []).push(cells.map((v, i) => (i === GROUP_AT ? groupName(id) : v)));
    }
  }
  if (special) out += csvRows(special);
  return out;
}
