// A thread that writes every other chunk of a CSV report beside the heavy-read worker (csvChunks.ts), for as long as
// the export runs: the report's SQL then runs on both cores.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { CsvChunkWriter, ownUtf8, type CsvChunkJob } from './csvChunks';

export interface CsvPartConfig {
  sqliteFile: string;
  groupNames: Record<string, string>;
}

/** A chunk to write, by its place in the report; the answer carries the same `n`. */
export type CsvPartRequest = { n: number; job: CsvChunkJob };
/** The chunk as UTF-8, its buffer handed over (not copied). */
export type CsvPartReply = { n: number; bytes: Uint8Array } | { n: number; error: string };

const config = workerData as CsvPartConfig;
lowerPriority();

/**
 * Linux: this thread gives way to the server's others (nice 10), so an export running on both cores does not
 * hold up check-ins. A thread's nice value is its own on Linux; elsewhere, or if refused, it runs as it is.
 */
function lowerPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (tid > 0) setPriority(tid, 10);
  } catch {
    // not Linux, or not allowed: the export only competes a little more
  }
}
const db = new BetterSqlite3(config.sqliteFile, { readonly: true });
const writer = new CsvChunkWriter(db, config.groupNames);
const port = parentPort!;
port.on('message', (m: CsvPartRequest) => {
  let bytes: Uint8Array;
  try {
    bytes = ownUtf8(writer.text(m.job));
  } catch (err) {
    port.postMessage({ n: m.n, error: err instanceof Error ? err.message : String(err) } satisfies CsvPartReply);
    return;
  }
  port.postMessage({ n: m.n, bytes } satisfies CsvPartReply, [bytes.buffer as ArrayBuffer]);
});
