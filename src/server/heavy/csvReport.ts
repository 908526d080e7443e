// The client report's rows: one definition for the columns and the cell guard, used by the worker that writes it.
import { stringify } from 'csv-stringify/sync';
import { neutraliseFormula, type Client } from '../../core';

export const CSV_COLUMNS = ['computer', 'name', 'ip', 'last user', 'group', 'version', 'target version', 'state', 'reason', 'last seen'];

/**
 * Every cell through the formula guard (names and reasons come from client machines), and every cell holding a
 * line break quoted, CR included: a bare CR ends a row for Python's csv module and for spreadsheets.
 */
const OPTIONS = { record_delimiter: 'unix', quoted_match: /[\r\n]/ } as const;

export function csvHeader(): string {
  return stringify([CSV_COLUMNS], OPTIONS);
}

export function csvRows(clients: readonly Client[], groupNames: Record<string, string>): string {
  return stringify(clients.map((c) => [
    c.computer, c.name, c.ip, c.user, groupNames[c.groupId] ?? c.groupId, c.version, c.targetVersion ?? '', c.state, c.reason ?? '', c.lastSeen,
  ].map(neutraliseFormula)), OPTIONS);
}
