// The functions the store's SQL calls on SQLite, defined on every connection that runs it (the server's, the
// writer's, the heavy-read worker's).

/** uf_fold folds case by JavaScript's rules, where SQLite's lower() folds ASCII only. */
export function defineSqliteFunctions(native: import('better-sqlite3').Database): void {
  native.function('uf_fold', { deterministic: true }, (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v) as string);
}
