// The server's side of the client-writer thread (see writerWorker.ts). Writes made while a transaction is in the
// thread wait here and go together as the next one: the busier the fleet, the larger the transaction, and never
// more than one in flight, so the thread is never handed more than it can commit.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Client } from '../../core/types';
import { clientWriteKind, toError, type ClientWrite } from './clientWrites';
import type { WriterConfig, WriterReply, WriterRequest } from './writerProtocol';

/** Writes per transaction at most: a longer one would hold off the server's own (admin) writes for longer. */
const MAX_BATCH = 128;

interface Pending {
  write: ClientWrite;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** The bundle ships dist/writerWorker.js beside dist/server.js; from source (tests) the .ts runs through tsx. */
function workerSource(): { code: string; eval: boolean } {
  const built = join(__dirname, 'writerWorker.js');
  if (existsSync(built)) return { code: built, eval: false };
  return { code: `require('tsx/cjs'); require(${JSON.stringify(join(__dirname, 'writerWorker.ts'))});`, eval: true };
}

export class ClientWriter {
  private readonly worker: Worker;
  private queue: Pending[] = [];
  private inFlight: { id: number; batch: Pending[] } | null = null;
  private nextId = 1;
  private failure: Error | null = null;
  private readonly ready: Promise<void>;
  private drained: (() => void) | null = null;

  constructor(config: WriterConfig) {
    const source = workerSource();
    this.worker = new Worker(source.code, { eval: source.eval, workerData: config });
    this.ready = new Promise<void>((resolve, reject) => {
      this.worker.once('error', reject);
      this.worker.on('message', (m: WriterReply) => {
        if ('ready' in m) {
          this.worker.off('error', reject);
          resolve();
        } else this.receive(m);
      });
    });
    this.worker.on('error', (err) => this.stop(err));
    this.worker.on('exit', (code) => this.stop(new Error(`The client-writer thread stopped (exit code ${code}).`)));
  }

  /** Resolves once the thread has opened the database (a bad file fails here, at start). */
  started(): Promise<void> {
    return this.ready;
  }

  writeClient(before: Client | undefined, after: Client, changed: boolean): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ write: { kind: clientWriteKind(before, after, changed), changed, after }, resolve, reject });
      if (!this.inFlight && this.queue.length === 1) setImmediate(() => this.send());
    });
  }

  private send(): void {
    if (this.inFlight || this.queue.length === 0 || this.failure) return;
    const batch = this.queue.slice(0, MAX_BATCH);
    this.queue = this.queue.slice(MAX_BATCH);
    const id = this.nextId++;
    this.inFlight = { id, batch };
    this.worker.postMessage({ id, writes: batch.map((p) => p.write) } satisfies WriterRequest);
  }

  private receive(m: Exclude<WriterReply, { ready: true }>): void {
    const flight = this.inFlight;
    if (!flight || flight.id !== m.id) return;
    this.inFlight = null;
    if ('failed' in m) {
      const err = toError(m.failed);
      for (const p of flight.batch) p.reject(err);
    } else {
      flight.batch.forEach((p, i) => {
        const e = m.results[i];
        if (e) p.reject(toError(e));
        else p.resolve();
      });
    }
    if (this.queue.length) this.send();
    else this.drained?.();
  }

  private stop(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const p of [...(this.inFlight?.batch ?? []), ...this.queue]) p.reject(err);
    this.inFlight = null;
    this.queue = [];
    this.drained?.();
  }

  /** Waits for the writes already made, then closes the thread's connection. */
  async close(): Promise<void> {
    if (!this.failure && (this.inFlight || this.queue.length)) {
      await new Promise<void>((resolve) => { this.drained = resolve; });
    }
    this.failure ??= new Error('The store is closed.');
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ close: true } satisfies WriterRequest);
    await exited;
  }
}
