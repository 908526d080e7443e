// Messages between the server and its client-writer thread.
import type { ClientWrite, ClientWriteError } from './clientWrites';

export interface WriterConfig {
  sqliteFile: string;
  historyPerClient: number;
  busyTimeoutMs: number;
  /** Checkpoint the WAL after this many writes (and when idle): the writer is the one that grows it. */
  checkpointAfterWrites: number;
  checkpointIdleMs: number;
}

/** One group-commit transaction's writes, in the order they were made. */
export type WriterRequest =
  | { id: number; writes: ClientWrite[] }
  /** Close the connection (the last one to close checkpoints the log away) and end the thread. */
  | { close: true };

/** Each write's error or null, in order; or the whole transaction's error (nothing was written). */
export type WriterReply =
  | { id: number; results: Array<ClientWriteError | null> }
  | { id: number; failed: ClientWriteError }
  | { ready: true };
