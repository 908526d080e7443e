// The live feed: reads /api/v1/events (SSE, bearer header) over an axios stream, reconnects with backoff, and
// coalesces bursts so a busy fleet causes at most one refresh per interval.
import * as vscode from 'vscode';
import type { Connection } from './connection';
import { FleetApiError } from './fleetClient';
import type { Log } from './log';
import { backoffMs, ChangeAccumulator, type ChangeSet, SseParser, toServerEvent } from './sse';

export class FleetEvents implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ChangeSet>();
  /** Fires at most once per `throttleMs` with everything that changed since the last time. */
  readonly onDidChange = this.emitter.event;
  private readonly acc = new ChangeAccumulator();
  private flushTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private abort: AbortController | undefined;
  private attempt = 0;
  private generation = 0;
  private readonly subscription: vscode.Disposable;
  /** True while the stream is open. */
  live = false;

  constructor(private readonly connection: Connection, private readonly log: Log, private readonly throttleMs = 750) {
    this.subscription = connection.onDidChange(() => this.restart());
  }

  /** Ask everyone to reload now (manual Refresh, sign-in). */
  refreshAll(): void {
    this.acc.add('all');
    this.flushSoon(0);
  }

  private flushSoon(delay = this.throttleMs): void {
    if (this.flushTimer) {
      if (delay > 0) return; // already scheduled: this change rides along
      clearTimeout(this.flushTimer);
    }
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      const c = this.acc.take();
      if (c) this.emitter.fire(c);
    }, delay);
  }

  private streamFor: unknown;

  private restart(): void {
    const client = this.connection.client;
    if (client === this.streamFor && (client === undefined || this.abort !== undefined || this.retryTimer !== undefined)) return;
    this.stop();
    this.streamFor = client;
    if (!client) return;
    this.attempt = 0;
    this.open(++this.generation);
    this.refreshAll();
  }

  private stop(): void {
    this.generation++;
    this.abort?.abort();
    this.abort = undefined;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.live = false;
  }

  private open(gen: number): void {
    const client = this.connection.client;
    if (!client || gen !== this.generation) return;
    const abort = new AbortController();
    this.abort = abort;
    const parser = new SseParser();
    client
      .openEvents(abort.signal)
      .then((stream) => {
        if (gen !== this.generation) {
          stream.destroy();
          return;
        }
        this.live = true;
        if (this.attempt > 0) {
          this.log.info('Event stream reconnected.');
          this.refreshAll(); // we may have missed events while away
        }
        this.attempt = 0;
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          for (const m of parser.push(chunk)) {
            const e = toServerEvent(m);
            if (!e) continue;
            this.acc.add(e);
            this.flushSoon();
          }
        });
        const ended = (why: string) => {
          if (gen !== this.generation) return;
          this.live = false;
          this.log.warn(`Event stream ended (${why}); reconnecting.`);
          this.scheduleReconnect(gen);
        };
        stream.on('end', () => ended('closed by server'));
        stream.on('error', (err: Error) => ended(err.message));
      })
      .catch((err: unknown) => {
        if (gen !== this.generation || abort.signal.aborted) return;
        // A FleetApiError, as every call's: the server's own words, or why it could not be reached (a TLS refusal too).
        const status = err instanceof FleetApiError ? err.status : 0;
        this.log.warn(`Event stream failed${status ? ` (HTTP ${status})` : ''}: ${(err as Error).message}`);
        if (status === 401 || status === 403) {
          void this.connection.refresh();
          return;
        }
        this.scheduleReconnect(gen);
      });
  }

  private scheduleReconnect(gen: number): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const delay = backoffMs(this.attempt++);
    this.retryTimer = setTimeout(() => this.open(gen), delay);
  }

  dispose(): void {
    this.stop();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
