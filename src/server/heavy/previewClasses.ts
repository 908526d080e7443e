// The policy preview's classes of clients, grouped by SQLite (see tallyInSqlite in worker.ts): the query over one
// range of the clients table, run by the heavy-read worker and, for a large group, the other half at once by a
// thread of its own (previewPart.ts) (a quarter of a million rows take one core about a second; two halves take half of that).
import BetterSqlite3 from 'better-sqlite3';
import { PreviewTally } from '../../core';
import { startThread } from '../threads';
import type { PreviewArgs } from './protocol';

/** A class: its size and one member (any member stands for all: they differ in nothing decide() looks at). */
export interface PreviewClassRow {
  version: string;
  id: string;
  deferred_until: string | null;
  n: number;
}

/** A half of the table to group: clients with from <= seq < to. */
export interface PreviewPart {
  sqliteFile: string;
  args: PreviewArgs;
  from: number;
  to: number;
}

/**
 * SQLite: one pass over a group's clients (optionally a range of the table) feeding the caller's aggregate
 * uf_preview_classes(version, deferred_until, id), which classes them by what the preview's rules can tell apart.
 */
function previewClassesQuery(groupId: string, largeGroup: boolean, range?: { from: number; to: number }): { sql: string; parameters: readonly unknown[] } {
  return {
    sql: `SELECT uf_preview_classes(version, deferred_until, id) FROM clients${largeGroup ? ' NOT INDEXED' : ''} WHERE group_id = ?${range ? ' AND seq >= ? AND seq < ?' : ''}`,
    parameters: range ? [groupId, range.from, range.to] : [groupId],
  };
}

/** The preview's tally for these arguments (its functions run inside the query). */
export function tallyFor(a: PreviewArgs): PreviewTally {
  return new PreviewTally(a.policy, a.releases, new Date(a.now), a.facts);
}

/**
 * The class rows of one range, on a connection of its own. An aggregate function classes each row as SQLite reads
 * it (one call per row, no sort): GROUP BY over a computed class sorts every row first, twice the cost.
 */
export function classRows(sqliteFile: string, a: PreviewArgs, tally: PreviewTally, range?: { from: number; to: number }): PreviewClassRow[] {
  const db = new BetterSqlite3(sqliteFile, { readonly: true });
  try {
    const byVersion = new Map<string, Map<string | number, PreviewClassRow>>();
    db.aggregate('uf_preview_classes', {
      start: 0,
      // (better-sqlite3's types know one argument; the function takes three.)
      step: ((total: number, version: unknown, until: unknown, id: unknown) => {
        const member = { version: String(version), id: String(id), deferredUntil: typeof until === 'string' ? until : null };
        let forVersion = byVersion.get(member.version);
        if (!forVersion) byVersion.set(member.version, (forVersion = new Map()));
        // Two maps deep, as the tally keeps them: no key string is made per client.
        const k = tally.classKey(member);
        const c = forVersion.get(k);
        if (c) c.n++;
        else forVersion.set(k, { version: member.version, id: member.id, deferred_until: member.deferredUntil, n: 1 });
        return total + 1;
      }) as unknown as (total: number, next: unknown) => number,
    });
    const q = previewClassesQuery(a.groupId, a.largeGroup, range);
    db.prepare(q.sql).pluck().get(...q.parameters);
    return [...byVersion.values()].flatMap((forVersion) => [...forVersion.values()]);
  } finally {
    db.close();
  }
}

/** The rowid range of the clients table, to split it in two. */
export function seqBounds(sqliteFile: string): { min: number; max: number } | undefined {
  const db = new BetterSqlite3(sqliteFile, { readonly: true });
  try {
    // Two subqueries: SQLite reads min() or max() from the end of the table only when it is alone in its query.
    const r = db.prepare('SELECT (SELECT min(seq) FROM clients) AS min, (SELECT max(seq) FROM clients) AS max').get() as { min: number | null; max: number | null };
    return r.min === null || r.max === null ? undefined : { min: r.min, max: r.max };
  } finally {
    db.close();
  }
}

/** Runs one part on a thread of its own (previewPart.ts); resolves with its rows. */
export function classRowsOnThread(part: PreviewPart): Promise<PreviewClassRow[]> {
  return new Promise((resolve, reject) => {
    // dist/previewPart.js is small: it starts in a few milliseconds.
    const w = startThread({ built: 'previewPart', module: 'heavy/previewPart' }, part);
    let done = false;
    w.once('message', (m: { rows?: PreviewClassRow[]; error?: string }) => {
      done = true;
      if (m.rows) resolve(m.rows);
      else reject(new Error(m.error ?? 'The preview thread failed.'));
    });
    w.once('error', (err) => { done = true; reject(err); });
    w.once('exit', (code) => { if (!done) reject(new Error(`The preview thread stopped (exit code ${code}).`)); });
  });
}
