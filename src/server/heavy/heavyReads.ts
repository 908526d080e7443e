// The server's side of the heavy-read worker: requests with promised replies, and the CSV export as a readable
// stream that asks for the next chunk only when the response has drained (flat memory at a million rows).
import { Readable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import type { Client, CountRow, PolicyPreviewResponse } from '../../core';
import type { RollbackOrigin } from '../../core/rollback';
import { startThread } from '../threads';
import type { ClientFilter, ClientPageRequest } from '../store/clientQueries';
import type { CsvArgs, HeavyReply, HeavyRequest, PreviewArgs, WorkerConfig } from './protocol';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void } | { stream: Readable; chunk: (bytes: Uint8Array) => void };

export class HeavyReads {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  constructor(private readonly config: WorkerConfig) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = startThread({ built: 'heavyWorker', module: 'heavy/worker' }, this.config);
    w.on('message', (m: HeavyReply) => this.receive(m));
    w.on('error', (err) => this.failAll(err));
    w.on('exit', () => {
      if (this.worker === w) this.worker = null;
      this.failAll(new Error('The heavy-read worker stopped.'));
      // It also checkpoints the WAL: it must run while the server does.
      if (!this.closed && this.config.checkpointEveryMs) this.start();
    });
    // Idle, it must not keep the process alive.
    w.unref();
    this.worker = w;
    return w;
  }

  private failAll(err: Error): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      if ('stream' in p) p.stream.destroy(err);
      else p.reject(err);
    }
  }

  private receive(m: HeavyReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if ('chunk' in m) {
      if ('stream' in p) p.chunk(m.chunk);
      return;
    }
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker?.unref();
    if ('end' in m) {
      if ('stream' in p) p.stream.push(null);
      return;
    }
    if ('stream' in p) {
      // A stream that failed in the worker ends the response with the error instead of leaving it open.
      if (!m.ok) p.stream.destroy(new Error(m.message));
      return;
    }
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(m.message));
  }

  private post(m: HeavyRequest): void {
    this.start().postMessage(m);
  }

  private ask<T>(m: Omit<Extract<HeavyRequest, { args: unknown }>, 'id'>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('The server is stopping.'));
    const id = this.nextId++;
    const worker = this.start();
    worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...m, id });
    });
  }

  /** Start now (not at the first heavy read) when the worker has a standing job: the WAL checkpoints. */
  startNow(): void {
    if (this.config.checkpointEveryMs) this.start();
  }

  preview(args: PreviewArgs): Promise<PolicyPreviewResponse> {
    return this.ask({ kind: 'preview', args });
  }

  /** Matching clients, counted no further than cap. */
  count(filter: ClientFilter, cap: number): Promise<{ total: number; capped: boolean }> {
    return this.ask({ kind: 'count', args: { filter, cap } });
  }

  /** Clients not seen since the cut-off, per counts key (a scan of the clients table, so here). */
  notSeen(cutoff: string): Promise<CountRow[]> {
    return this.ask({ kind: 'notSeen', args: { cutoff } });
  }

  /** A page found by testing rows in order, however many it takes (short texts no index can answer). */
  rollbackOrigins(version: string): Promise<RollbackOrigin[]> {
    return this.ask({ kind: 'origins', args: { version } });
  }

  walk(req: ClientPageRequest, budget?: number): Promise<{ items: Client[]; exhausted: boolean }> {
    return this.ask({ kind: 'walk', args: { req, budget } });
  }

  /** A page from the trigram index: a term of middling breadth gathers and sorts its matches, off the event loop. */
  page(req: ClientPageRequest): Promise<Client[]> {
    return this.ask({ kind: 'page', args: { req } });
  }

  /** The CSV report as a stream; the worker writes the next batch only when this one has been read. */
  csv(args: CsvArgs): Readable {
    const id = this.nextId++;
    let started = false;
    // One request for a chunk at a time: read() asks, a chunk answers, and the stream calls read() again only
    // when its buffer has room.
    let asked = false;
    // About four chunks ahead: the worker formats the next while the socket takes this one, memory stays bounded.
    const stream = new Readable({
      highWaterMark: 1024 * 1024,
      read: () => {
        if (asked || !this.pending.has(id)) return;
        asked = true;
        if (!started) {
          started = true;
          this.start().ref();
          this.post({ id, kind: 'csv', args });
        } else {
          this.post({ id, kind: 'more' });
        }
      },
      destroy: (err, cb) => {
        if (this.pending.delete(id) && this.worker) this.worker.postMessage({ id, kind: 'cancel' } satisfies HeavyRequest);
        if (this.pending.size === 0) this.worker?.unref();
        cb(err);
      },
    });
    if (this.closed) stream.destroy(new Error('The server is stopping.'));
    else this.pending.set(id, { stream, chunk: (bytes) => { asked = false; stream.push(bytes); } });
    return stream;
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    this.failAll(new Error('The server is stopping.'));
    if (w) await w.terminate();
  }
}
