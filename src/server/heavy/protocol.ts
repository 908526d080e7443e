// Messages between the server and its heavy-read worker. Requests carry an id; a reply answers it once, or, for a
// stream, comes as chunks that the server acknowledges one by one (backpressure: the worker reads the next batch
// only when the HTTP response has taken the last one).
import type { Client, FleetFacts, Policy, PolicyPreviewResponse, Release } from '../../core';
import type { ClientFilter, ClientPageRequest } from '../store/clientQueries';

export interface PreviewArgs {
  groupId: string;
  /** The group holds a good part of the fleet (from the counts): read it by scanning, not through its index. */
  largeGroup: boolean;
  policy: Policy;
  releases: Release[];
  /** ISO time the decisions are made at. */
  now: string;
  facts: FleetFacts;
  limit: number;
}

export interface CsvArgs {
  filter: ClientFilter;
  /** Group id → name, for the group column. */
  groupNames: Record<string, string>;
}

export type HeavyRequest =
  | { id: number; kind: 'preview'; args: PreviewArgs }
  | { id: number; kind: 'count'; args: { filter: ClientFilter; cap: number } }
  /** Where clients on a version came from (a rollback's target): finding them scans when the version is rare. */
  | { id: number; kind: 'origins'; args: { version: string } }
  /** Clients whose last check-in is before the cut-off, per counts key. */
  | { id: number; kind: 'notSeen'; args: { cutoff: string } }
  | { id: number; kind: 'walk'; args: { req: ClientPageRequest; budget?: number } }
  | { id: number; kind: 'page'; args: { req: ClientPageRequest } }
  | { id: number; kind: 'csv'; args: CsvArgs }
  /** The server took a chunk: send the next. */
  | { id: number; kind: 'more' }
  /** The HTTP client went away: stop the stream. */
  | { id: number; kind: 'cancel' };

export interface HeavyResults {
  preview: PolicyPreviewResponse;
  count: { total: number; capped: boolean };
  walk: { items: Client[]; exhausted: boolean };
}

export type HeavyReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; message: string }
  /** A chunk of a stream as UTF-8, its buffer handed over (not copied). */
  | { id: number; chunk: Uint8Array }
  | { id: number; end: true };

export interface WorkerConfig {
  sqliteFile?: string;
  postgresUrl?: string;
  /** SQLite: checkpoint the WAL this often (ms), in place of the server's connection. */
  checkpointEveryMs?: number;
  /** The writer thread's restart gate (see checkpointer.ts). */
  restartGate?: SharedArrayBuffer;
  /** A large group's preview is read in two halves, on two threads, above this many rows of the table (50,000). */
  previewSplitAbove?: number;
}
