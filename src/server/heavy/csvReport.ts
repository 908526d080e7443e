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
const REASON_AT = CSV_SOURCE_COLUMNS.indexOf('reason');
const HEAD_COMMAS = GROUP_AT - 1;
const MID_COMMAS = REASON_AT - GROUP_AT - 2;

/**
 * SQLite writes the report's lines in parts (one C call, printf, per part): the cells before the group, then those
 * between the group and the reason; the group (which this thread names), the reason (the server's own sentences,
 * which often hold commas and quotes) and the last-seen time come as they are. A part is used as it is when every
 * cell in it needs nothing (see plainPart), the group and the reason are encoded alone and remembered: that is
 * nearly every row, so the per-cell work of an export runs at C speed. Any other row is read again as stored (by
 * `seq`) and encoded by csvRows. Returns the select list, in this order.
 */
export function csvLineSql(): string[] {
  const head = CSV_SOURCE_COLUMNS.slice(0, GROUP_AT);
  const mid = CSV_SOURCE_COLUMNS.slice(GROUP_AT + 1, REASON_AT);
  const printf = (cols: readonly string[]) => `printf('${cols.map(() => '%s').join(',')}', ${cols.join(', ')})`;
  // printf's %s ends a text at a NUL character (a cell holding one would be cut short without a trace): a row with
  // one in any printed cell has a NULL head and is read again. One test over the cells joined costs less than one
  // per cell.
  const nul = `instr(${[...head, ...mid].map((c) => `ifnull(${c}, '')`).join(' || ')}, char(0))`;
  return [`CASE WHEN ${nul} THEN NULL ELSE ${printf(head)} END`, 'group_id', printf(mid), 'reason', 'last_seen'];
}

/**
 * Whether a printf-joined part is what csvRows writes for its cells: exactly `commas` commas (no cell holds one),
 * no quote, CR or LF, and no cell starting with a formula character (= + - @ tab). NULL cells print as nothing,
 * as csvRows writes them; a NULL part is one that printf could not write (a NUL character).
 */
function plainPart(part: string | null, commas: number): boolean {
  if (part === null) return false;
  let seen = 0;
  let cellStart = true;
  for (let i = 0; i < part.length; i++) {
    const c = part.charCodeAt(i);
    if (c === 44) {
      seen++;
      cellStart = true;
      continue;
    }
    // " CR LF anywhere; = + - @ TAB at a cell's start.
    if (c === 34 || c === 13 || c === 10) return false;
    if (cellStart && (c === 61 || c === 43 || c === 45 || c === 64 || c === 9)) return false;
    cellStart = false;
  }
  return seen === commas;
}

/** Cells encoded alone, remembered while few: the same group names and reasons repeat through a fleet. */
class CellCache {
  private readonly cells = new Map<string, string>();
  encode(value: string | null): string {
    if (value === null) return '';
    let cell = this.cells.get(value);
    if (cell === undefined) {
      // A cell encoded alone is the cell as it is in any row (csv-stringify quotes and guards cell by cell).
      cell = csvRows([[value]]).slice(0, -1);
      if (this.cells.size < 10_000) this.cells.set(value, cell);
    }
    return cell;
  }
}

/**
 * Lines from rows read with csvLineSql() and `seq` after them; `groupName` names a group id, `cellsOf` reads a row's
 * cells as stored (CSV_SOURCE_COLUMNS) for the rare row that is not plain.
 */
export function csvLinesFromSql(rows: ReadonlyArray<ReadonlyArray<unknown>>, groupName: (id: string) => string, cellsOf: (seq: number) => unknown[] | undefined): string {
  let out = '';
  const groups = new CellCache();
  const reasons = new CellCache();
  let special: unknown[][] | undefined;
  for (const r of rows) {
    const head = r[0] as string | null;
    const id = r[1] as string;
    const mid = r[2] as string | null;
    const last = r[4] as string | null;
    if (plainPart(head, HEAD_COMMAS) && plainPart(mid, MID_COMMAS) && (last === null || plainPart(last, 0))) {
      if (special) { out += csvRows(special); special = undefined; }
      out += `${head},${groups.encode(groupName(id))},${mid},${reasons.encode(r[3] as string | null)},${last ?? ''}\n`;
    } else {
      const cells = cellsOf(r[5] as number);
      if (cells) (special ??= []).push(cells.map((v, i) => (i === GROUP_AT ? groupName(id) : v)));
    }
  }
  if (special) out += csvRows(special);
  return out;
}
