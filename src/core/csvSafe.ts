// A spreadsheet runs a cell that starts with = + - @ (or a tab/CR that hides one) as a formula.
// Prefixing a quote makes it text (OWASP "CSV injection").
const FORMULA_START = /^[=+\-@\t\r]/;

export function neutraliseFormula(cell: unknown): string {
  if (cell === null || cell === undefined) return '';
  const s = String(cell);
  return FORMULA_START.test(s) ? `'${s}` : s;
}
