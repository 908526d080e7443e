// Messages between the server and its client-writer thread.
import type { ClientRow, ClientWrite, ClientWriteError } from './clientWrites';

export interface WriterConfig {
  sqliteFile: string;
  historyPerClient: number;
  busyTimeoutMs: number;
}

/** One group-commit transaction's writes, in the order they were made. */
/** What an agent request reads before it decides: the client's row, and its credential (issue 9). */
export type ReadTable = 'clients' | 'client_credentials';

export type WriterRequest =
  | { id: number; writes: ClientWrite[] }
  /** Rows by client id, read on this thread's connection (see ClientWriter.readClient): clients or credentials. */
  | { id: number; reads: string[]; table: ReadTable }
  /** Close the connection (the last one to close checkpoints the log away) and end the thread. */
  | { close: true };

/** Each write's error or null, in order; or the whole transaction's error (nothing was written). */
export type WriterReply =
  | { id: number; results: Array<ClientWriteError | null> }
  | { id: number; failed: ClientWriteError }
  | { id: number; rows: Array<ClientRow | Record<string, unknown> | undefined> }
  | { ready: true };
