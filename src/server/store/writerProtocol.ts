// Messages between the server and its client-writer thread.
import type { ClientRow, ClientWrite, ClientWriteError, CredentialRow } from './clientWrites';

export interface WriterConfig {
  sqliteFile: string;
  historyPerClient: number;
  busyTimeoutMs: number;
  /** This thread only reads (agent requests' rows), beside the writer: a read never waits for a transaction. */
  reader?: boolean;
  /** The restart gate shared with the checkpointer (see heavy/checkpointer.ts): one Int32, 1 while it restarts. */
  restartGate?: SharedArrayBuffer;
}

/** One group-commit transaction's writes, in the order they were made. */
export type WriterRequest =
  | { id: number; writes: ClientWrite[] }
  /** Client rows by id, read on this thread's connection (see ClientWriter.readClient). */
  | { id: number; reads: string[] }
  /** An agent request's two reads in one message: its credential and its client row (see FleetStore.getAgent). */
  | { id: number; agents: string[] }
  /** Close the connection (the last one to close checkpoints the log away) and end the thread. */
  | { close: true };

/** Each write's error or null, in order; or the whole transaction's error (nothing was written). */
export type WriterReply =
  | { id: number; results: Array<ClientWriteError | null> }
  | { id: number; failed: ClientWriteError }
  | { id: number; rows: Array<ClientRow | undefined> }
  | { id: number; agents: Array<{ credential?: CredentialRow; client?: ClientRow }> }
  | { ready: true };
