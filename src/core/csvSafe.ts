// A spreadsheet runs a cell that starts with = + - @ (or a tab/CR that hides one) as a formula.
// Prefixing a quote makes it text (OWASP "CSV injection").
// A line break inside a cell starts a new row for any reader that sees it unquoted (Python's csv, spreadsheets
// splitting on CR), so what follows a CR or LF is guarded like a cell start, and such cells are always quoted.
const FORMULA_AFTER_BREAK = /(^|[\r\n])(?=[=+\-@\t\r])/g;

export function neutraliseFormula(cell: unknown): string {
  if (cell === null || cell === undefined) return '';
  const s = String(cell);
  // The common cell (a name, an IP, a date) needs nothing: decided without a regular expression.
  const c = s.charCodeAt(0);
  if (c !== 61 && c !== 43 && c !== 45 && c !== 64 && c !== 9 && c !== 13 && !s.includes('\n') && !s.includes('\r')) return s;
  return s.replace(FORMULA_AFTER_BREAK, "$1'");
}

/**
 * The csv-stringify options every CSV export uses (spread into `stringify({ ...CSV_STRINGIFY_OPTIONS, … })`):
 * csv-stringify quotes a cell only for its own record delimiter (LF), so a lone CR would go out unquoted.
 */
export const CSV_STRINGIFY_OPTIONS = {
  record_delimiter: 'unix',
  quoted_match: /[\r\n]/,
} as const;
