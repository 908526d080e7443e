// The client report a chunk at a time: a range of the report's order whose lines the database writes and joins in
// one statement, so a row costs no JavaScript at all. Used by the heavy-read worker (csvExport.ts) and by the thread
// that writes every other chunk beside it on SQLite (csvPart.ts); kept free of the store so that thread starts in
// milliseconds.
import type BetterSqlite3 from 'better-sqlite3';
import { CSV_SOURCE_COLUMNS, csvRows, withGroupNames } from './csvReport';

/** One chunk: the rows after `from` up to and including `to` (open where absent), as two compiled statements. */
export interface CsvChunkJob {
  /** Two values: the chunk's lines (csvLineSql), each ended by LF, and its row count. */
  lines: { sql: string; parameters: readonly unknown[] };
  /** The same rows' cells as stored (CSV_SOURCE_COLUMNS), for a chunk that is not plain. */
  cells: { sql: string; parameters: readonly unknown[] };
}

const GROUP_AT = CSV_SOURCE_COLUMNS.indexOf('group_id');
const REASON_AT = CSV_SOURCE_COLUMNS.indexOf('reason');
/** Columns that may be NULL (the others are NOT NULL in the schema). */
const NULLABLE = new Set(['address', 'target_version', 'reason']);
/** Above this many groups the group's cell is looked up per row instead of one CASE over all of them. */
export const MAX_CASE_GROUPS = 64;

/** Where the two databases spell a function differently. */
export type ReportDialect = 'sqlite' | 'postgres';

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
const text = (col: string) => (NULLABLE.has(col) ? `coalesce(${col}, '')` : col);

/**
 * SQL for one cell as csvRows encodes it alone, for a value without CR or LF (a chunk holding one is written by
 * csvRows instead: see plainChunkText): a formula character at the start gets a quote; a comma or quote
 * quotes the cell, its quotes doubled.
 */
function encodedCellSql(x: string, dialect: ReportDialect): string {
  const tab = dialect === 'postgres' ? 'chr(9)' : 'char(9)';
  const needsQuotes = dialect === 'postgres' ? `strpos(${x}, ',') > 0 OR strpos(${x}, '"') > 0` : `instr(${x}, ',') OR instr(${x}, '"')`;
  const guarded = `CASE WHEN substr(${x}, 1, 1) IN ('=', '+', '-', '@', ${tab}) THEN '''' || ${x} ELSE ${x} END`;
  return `CASE WHEN ${x} IS NULL THEN '' WHEN ${needsQuotes} THEN '"' || replace(${guarded}, '"', '""') || '"' ELSE ${guarded} END`;
}

/**
 * The line of a chunk's row as SQL (on SQLite, `||` keeps a NUL character, where printf would cut the cell; a
 * PostgreSQL text holds none). A few groups are named by one CASE of their cells encoded here; many, or a name SQL
 * text cannot hold, by a lookup per row.
 */
export function csvLineSql(groupNames: Record<string, string>, dialect: ReportDialect = 'sqlite'): string {
  const ids = Object.keys(groupNames);
  const sqlSafe = ids.every((id) => !id.includes('\0') && !groupNames[id].includes('\0'));
  const groupCell = ids.length <= MAX_CASE_GROUPS && sqlSafe
    ? `CASE group_id ${ids.map((id) => `WHEN ${literal(id)} THEN ${literal(csvRows([[groupNames[id]]]).slice(0, -1))}`).join(' ')} ELSE ${encodedCellSql('group_id', dialect)} END`
    : encodedCellSql('coalesce((SELECT name FROM groups WHERE groups.id = clients.group_id), clients.group_id)', dialect);
  return CSV_SOURCE_COLUMNS.map((c, i) => (i === GROUP_AT ? groupCell : i === REASON_AT ? encodedCellSql('reason', dialect) : text(c))).join(` || ',' || `);
}

/** A cell as stored that needs nothing: no comma, quote, CR, LF or NUL, and no formula character first. */
const RAW = String.raw`(?:[^,"\r\n\0=+\-@\t][^,"\r\n\0]*)?`;
/** The group's or the reason's cell as encoded by SQL: quoted, or a text without a comma or quote. */
const ENCODED = String.raw`(?:"(?:[^"\r\n\0]|"")*"|[^,"\r\n\0]*)`;
/**
 * One line whose every cell is what csvRows writes for it, in CSV_SOURCE_COLUMNS order, then LF or the end. Cells
 * cannot hold a separator outside quotes, so a comma in a cell as stored adds a field and the line fails; a quote
 * there fails as well.
 */
const PLAIN_LINE = new RegExp(CSV_SOURCE_COLUMNS.map((_, i) => (i === GROUP_AT || i === REASON_AT ? ENCODED : RAW)).join(',') + String.raw`(?:\n|$)`, 'y');

/**
 * The chunk's CSV text if every one of its `rows` lines (each ended by LF) is plain (PLAIN_LINE): the cells as
 * stored need nothing and the group's and reason's cells hold no line break. Otherwise undefined: the chunk is
 * written by csvRows.
 */
export function plainChunkText(lines: string | null, rows: number): string | undefined {
  if (rows === 0) return '';
  if (lines === null) return undefined;
  let at = 0;
  for (let row = 0; row < rows; row++) {
    PLAIN_LINE.lastIndex = at;
    if (!PLAIN_LINE.test(lines)) return undefined;
    at = PLAIN_LINE.lastIndex;
  }
  return at === lines.length ? lines : undefined;
}

/**
 * A text's UTF-8 in a buffer of its own, to be handed to another thread without a copy (a small text's Buffer is a
 * slice of Node's shared pool, which must not be handed over: it is copied into one of its own).
 */
export function ownUtf8(text: string): Uint8Array {
  const bytes: Uint8Array = Buffer.from(text, 'utf8');
  return bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
}

/** Writes chunks on one connection, inside one read transaction (the export's snapshot on this connection). */
export class CsvChunkWriter {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(private readonly db: BetterSqlite3.Database, private readonly groupNames: Record<string, string>) {
    db.exec('BEGIN');
  }

  private statement(sqlText: string): BetterSqlite3.Statement {
    let s = this.statements.get(sqlText);
    if (!s) this.statements.set(sqlText, (s = this.db.prepare(sqlText).raw()));
    return s;
  }

  /** The chunk's lines: SQLite's when plain (nearly always), else every row of it through csvRows. */
  text(job: CsvChunkJob): string {
    const [lines, rows] = this.statement(job.lines.sql).get(...job.lines.parameters) as [string | null, number];
    const plain = plainChunkText(lines, rows);
    if (plain !== undefined) return plain;
    return csvRows(withGroupNames(this.statement(job.cells.sql).all(...job.cells.parameters) as unknown[][], this.groupNames));
  }

  close(): void {
    if (this.db.inTransaction) this.db.exec('COMMIT');
  }
}
