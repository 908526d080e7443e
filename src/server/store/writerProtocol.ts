// Messages between the server and its client-writer thread.
import type { ClientRow, ClientWrite, ClientWriteError } from './clientWrites';

export interface WriterConfig {
  sqliteFile: string;
  historyPerClient: number;
  busyTimeoutMs: number;
}

/** One group-commit transaction's writes, in the order they were made. */
export type WriterRequest =
  | { id: number; writes: ClientWrite[] }
  /** Client rows by id, read on this thread's connection (see ClientWriter.readClient). */
  | { id: number; reads: string[] }
  /** Close the connection (the last one to close checkpoints the log away) and end the thread. */
  | { close: true };

/** Each write's error or null, in order; or the whole transaction's error (nothing was written). */
export type WriterReply =
  | { id: number; results: Array<ClientWriteError | null> }
  | { id: number; failed: ClientWriteError }
  | { id: number; rows: Array<ClientRow | undefined> }
  | { ready: true };
