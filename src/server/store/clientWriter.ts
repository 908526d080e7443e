// The server's side of the client-writer thread (see writerWorker.ts). Writes made while a transaction is in the
// thread wait here and go together as the next one: the busier the fleet, the larger the transaction, and never
// more than one in flight, so the thread is never handed more than it can commit.
//
// An agent request's reads (its credential and client row) go to a second thread, read-only: not the event loop
// (a SQLite connection drops its whole page cache whenever another connection commits, so a read there fetches
// its pages again, on the loop), and not the writer (a read there waits for the transaction in progress, and for
// any checkpoint that holds writers off). A check-in that changes nothing then never waits for the writer.
import type { Worker } from 'node:worker_threads';
import { startThread } from '../threads';
import type { Client } from '../../core/types';
import { SeenHold } from './seenHold';
import { clientWriteKind, toError, type ClientRow, type ClientWrite, type CredentialRow } from './clientWrites';
import type { WriterConfig, WriterReply, WriterRequest } from './writerProtocol';

/** Reads per message at most: the reader answers each message as it is done, so the first reads come back sooner. */
const READS_PER_MESSAGE = 16;
/**
 * Writes per transaction at most, counted in the weight of a full write: a longer one would hold off the server's
 * own (admin) writes for longer. A "seen" (one column of one row) weighs an eighth of one.
 */
const MAX_BATCH = 128;
const SEEN_WEIGHT = 1 / 8;
/** Held "seen" times written at once, whatever their age (seenHold.ts): one transaction's worth. */
const SEEN_HOLD_MAX = MAX_BATCH / SEEN_WEIGHT;
const settled = (): void => {};

interface PendingRead {
  id: string;
  resolve: (row: never) => void;
  reject: (err: Error) => void;
}

interface Pending {
  write: ClientWrite;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class ClientWriter {
  private readonly worker: Worker;
  /** The agent requests' reads, on a read-only connection of their own (see the constructor). */
  private readonly reader: Worker;
  /** The threads still running. */
  private readonly alive = new Set<Worker>();
  private queue: Pending[] = [];
  /** Unchanged check-ins' times, held a moment and queued together (seenHold.ts). */
  private readonly seen = new SeenHold((clients) => {
    if (this.failure) return;
    for (const after of clients) this.queue.push({ write: { kind: 'seen', changed: false, after }, resolve: settled, reject: settled });
    if (!this.inFlight) this.send();
  }, SEEN_HOLD_MAX);
  private inFlight: { id: number; batch: Pending[] } | null = null;
  private nextId = 1;
  private failure: Error | null = null;
  private readonly ready: Promise<void>;
  private drained: (() => void) | null = null;
  private closing: Promise<void> | null = null;
  /** Reads asked in this turn of the event loop (one message per kind), and those sent, by message id. */
  private reads: PendingRead[] = [];
  private agentReads: PendingRead[] = [];
  private readsInFlight = new Map<number, PendingRead[]>();
  /** Shared with the heavy-read worker's checkpointer: it holds the writer off while it starts the log again. */
  readonly restartGate = new SharedArrayBuffer(4);

  constructor(config: WriterConfig) {
    const start = (data: WriterConfig, name: string): { worker: Worker; ready: Promise<void> } => {
      const worker = startThread({ built: 'writerWorker', module: 'store/writerWorker' }, data);
      const ready = new Promise<void>((resolve, reject) => {
        worker.once('error', reject);
        worker.on('message', (m: WriterReply) => {
          if ('ready' in m) {
            worker.off('error', reject);
            resolve();
          } else this.receive(m);
        });
      });
      worker.on('error', (err) => this.stop(err));
      this.alive.add(worker);
      worker.on('exit', (code) => {
        this.alive.delete(worker);
        this.stop(new Error(`The ${name} thread stopped (exit code ${code}).`));
      });
      return { worker, ready };
    };
    const writer = start({ ...config, restartGate: this.restartGate }, 'client-writer');
    // Reads go to a thread of their own: on the writer's they waited for its transaction in progress (a few
    // milliseconds at a million clients), and on the event loop they cost it the pages that every commit of the
    // writer's drops from its connection's cache. Read-only there, they wait for nothing (WAL).
    const reader = start({ ...config, reader: true }, 'client-reader');
    this.worker = writer.worker;
    this.reader = reader.worker;
    this.ready = Promise.all([writer.ready, reader.ready]).then(() => {});
  }

  /** Resolves once the thread has opened the database (a bad file fails here, at start). */
  started(): Promise<void> {
    return this.ready;
  }

  writeClient(before: Client | undefined, after: Client, changed: boolean): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const kind = clientWriteKind(before, after, changed);
    // A check-in that changed nothing but the time it was seen: nobody waits for that time (seenHold.ts).
    if (kind === 'seen') {
      this.seen.hold(after);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => this.enqueue({ write: { kind, changed, after }, resolve, reject }));
  }

  private enqueue(p: Pending): void {
    this.queue.push(p);
    if (!this.inFlight && this.queue.length === 1) setImmediate(() => this.send());
  }

  /**
   * A client's row as committed, on the reader thread: every write already answered is in it, but for an unchanged
   * check-in's "seen" (answered before its commit), which shows within about a second (seenHold.ts).
   */
  readClient(id: string): Promise<ClientRow | undefined> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<ClientRow | undefined>((resolve, reject) => {
      this.reads.push({ id, resolve: resolve as (row: never) => void, reject });
      if (this.reads.length === 1) setImmediate(() => this.sendReads());
    });
  }

  /** An agent request's credential and client row, in one message (see FleetStore.getAgent). */
  readAgent(id: string): Promise<{ credential?: CredentialRow; client?: ClientRow }> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<{ credential?: CredentialRow; client?: ClientRow }>((resolve, reject) => {
      this.agentReads.push({ id, resolve: resolve as (row: never) => void, reject });
      if (this.agentReads.length === 1) setImmediate(() => this.sendReads());
    });
  }

  private sendReads(): void {
    if (this.failure) return;
    for (const kind of ['reads', 'agents'] as const) {
      const all = kind === 'reads' ? this.reads : this.agentReads;
      if (all.length === 0) continue;
      if (kind === 'reads') this.reads = [];
      else this.agentReads = [];
      for (let i = 0; i < all.length; i += READS_PER_MESSAGE) {
        const batch = all.slice(i, i + READS_PER_MESSAGE);
        const id = this.nextId++;
        this.readsInFlight.set(id, batch);
        const ids = batch.map((r) => r.id);
        this.reader.postMessage((kind === 'reads' ? { id, reads: ids } : { id, agents: ids }) satisfies WriterRequest);
      }
    }
  }

  private send(): void {
    if (this.inFlight || this.queue.length === 0 || this.failure) return;
    let n = 0;
    for (let weight = 0; n < this.queue.length && weight < MAX_BATCH; n++) weight += this.queue[n].write.kind === 'seen' ? SEEN_WEIGHT : 1;
    const batch = this.queue.slice(0, n);
    this.queue = this.queue.slice(n);
    const id = this.nextId++;
    this.inFlight = { id, batch };
    this.worker.postMessage({ id, writes: batch.map((p) => p.write) } satisfies WriterRequest);
  }

  private receive(m: Exclude<WriterReply, { ready: true }>): void {
    if ('rows' in m || 'agents' in m) {
      const reads = this.readsInFlight.get(m.id);
      this.readsInFlight.delete(m.id);
      const rows: unknown[] = 'rows' in m ? m.rows : m.agents;
      reads?.forEach((r, i) => r.resolve(rows[i] as never));
      if (this.idle()) this.drained?.();
      return;
    }
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
    else if (this.idle()) this.drained?.();
  }

  private idle(): boolean {
    return !this.inFlight && this.queue.length === 0 && this.seen.size === 0 && this.readsInFlight.size === 0 && this.reads.length === 0 && this.agentReads.length === 0;
  }

  private stop(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const p of [...(this.inFlight?.batch ?? []), ...this.queue]) p.reject(err);
    for (const r of [...[...this.readsInFlight.values()].flat(), ...this.reads, ...this.agentReads]) r.reject(err);
    this.inFlight = null;
    this.queue = [];
    this.seen.clear();
    this.reads = [];
    this.agentReads = [];
    this.readsInFlight.clear();
    this.drained?.();
  }

  /**
   * Waits for the reads and writes already asked — and for the writes that those reads lead to (a check-in reads,
   * then writes) — then closes the thread's connection. Closing twice is closing once.
   */
  async close(): Promise<void> {
    this.closing ??= (async () => {
      while (!this.failure) {
        // Held "seen" times are written now, not when their moment is up.
        this.seen.flush();
        if (!this.idle()) await new Promise<void>((resolve) => { this.drained = resolve; });
        // What a settled read leads to is asked in the promise callbacks that run before the next turn.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.idle()) break;
      }
      this.drained = null;
      this.failure ??= new Error('The store is closed.');
      const running = [...this.alive];
      const exited = running.map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())));
      for (const w of running) w.postMessage({ close: true } satisfies WriterRequest);
      await Promise.all(exited);
    })();
    return this.closing;
  }
}
