// Server-sent events: what changed. Coalesced so a fleet checking in thousands of times a second sends a
// console one "clients" event per interval (with how many changed and in which groups), not one per check-in.
// With several server processes on one PostgreSQL database, an EventBus carries each process's coalesced changes
// to the others, so a console sees changes made through any process.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { ServerEvent } from '../core/wire';
import type { HealthSummary } from '../core/types';
import { ApiError } from './errors';

export interface StreamLimits {
  /** Event streams open at once, all tokens together. */
  maxSubscribers: number;
  /** Event streams one token may hold open. */
  maxSubscribersPerToken: number;
  /** A subscriber whose unsent data grows past this (bytes) has stopped reading and is dropped. */
  maxBufferedBytes: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = { maxSubscribers: 1_000, maxSubscribersPerToken: 10, maxBufferedBytes: 1024 * 1024 };

/** What one process tells the others per flush. */
export interface BusMessage {
  origin: string;
  events: ServerEvent[];
  clients: { changed: number; groupIds: string[] } | null;
}

export interface EventBus {
  send(message: BusMessage): void;
  close(): Promise<void>;
}

class Batch {
  readonly events = new Map<string, ServerEvent>();
  changed = 0;
  readonly groups = new Set<string>();
  get empty(): boolean {
    return this.events.size === 0 && this.changed === 0;
  }
  add(e: ServerEvent): void {
    const key = e.type === 'release' ? `release:${e.releaseId}` : e.type === 'policy' || e.type === 'group' ? `${e.type}:${e.groupId}`
      : e.type === 'rollout' ? `rollout:${e.releaseId}:${e.groupId}:${e.change}` : e.type;
    this.events.set(key, e); // one per thing per flush: the latest wins
  }
  addClients(n: number, groupIds: Iterable<string>): void {
    this.changed += n;
    for (const g of groupIds) this.groups.add(g);
  }
  clear(): void {
    this.events.clear();
    this.changed = 0;
    this.groups.clear();
  }
}

export class EventHub {
  readonly origin = randomUUID();
  private readonly subscribers = new Set<ServerResponse>();
  private readonly perToken = new Map<string, number>();
  private readonly limits: StreamLimits;
  /** For this process's subscribers. */
  private readonly local = new Batch();
  /** For the other processes (only with a bus). */
  private readonly outbox = new Batch();
  private timer: NodeJS.Timeout | null = null;
  private readonly heartbeat: NodeJS.Timeout;
  private bus: EventBus | null = null;

  private summaryTimer: NodeJS.Timeout | null = null;
  private summaryOwed = false;
  private lastSummaryAt = 0;
  private readonly flushMs: number;
  private readonly summaryEveryMs: number;
  private readonly onRemoteChange: (what: 'config' | 'clients') => void;

  constructor(
    /** The fleet summary sent after client changes: a query over every client, so at most once per summaryEveryMs. */
    private readonly summary: () => Promise<HealthSummary>,
    opts: {
      flushMs?: number;
      summaryEveryMs?: number;
      /** Another process changed releases, groups or policies ('config') or clients: drop cached copies now. */
      onRemoteChange?: (what: 'config' | 'clients') => void;
      limits?: Partial<StreamLimits>;
    } = {},
  ) {
    this.limits = { ...DEFAULT_STREAM_LIMITS, ...opts.limits };
    this.flushMs = opts.flushMs ?? 500;
    this.summaryEveryMs = opts.summaryEveryMs ?? 3_000;
    this.onRemoteChange = opts.onRemoteChange ?? (() => {});
    // Proxies close idle streams; a comment line every 15 s keeps them open.
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), 15_000);
    this.heartbeat.unref();
  }

  attachBus(bus: EventBus): void {
    this.bus = bus;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Throws the 429 / 503 a new stream gets when its token, or the server, holds as many as allowed. */
  admit(tokenId: string): void {
    const mine = this.perToken.get(tokenId) ?? 0;
    if (mine >= this.limits.maxSubscribersPerToken) {
      throw new ApiError(429, 'too-many-streams', `This token already holds ${mine} event streams, the most one token may open; close one first.`);
    }
    if (this.subscribers.size >= this.limits.maxSubscribers) {
      throw new ApiError(503, 'streams-full', `The server already serves ${this.subscribers.size} event streams, its limit; try again later.`);
    }
  }

  subscribe(res: ServerResponse, tokenId = ''): void {
    this.admit(tokenId);
    this.subscribers.add(res);
    this.perToken.set(tokenId, (this.perToken.get(tokenId) ?? 0) + 1);
    res.once('close', () => {
      if (!this.subscribers.delete(res)) return;
      const left = (this.perToken.get(tokenId) ?? 1) - 1;
      if (left > 0) this.perToken.set(tokenId, left);
      else this.perToken.delete(tokenId);
    });
    this.send(res, ': connected\n\n');
  }

  /** Release, policy and group events. */
  publish(e: ServerEvent): void {
    if (this.subscribers.size > 0) this.local.add(e);
    if (this.bus) this.outbox.add(e);
    this.schedule();
  }

  clientsChanged(groupId: string, n = 1): void {
    if (this.subscribers.size > 0) this.local.addClients(n, [groupId]);
    if (this.bus) this.outbox.addClients(n, [groupId]);
    this.schedule();
  }

  /** Another process's changes (from the bus). */
  receive(m: BusMessage): void {
    if (m.origin === this.origin) return;
    if (m.events.length > 0) this.onRemoteChange('config');
    if (m.clients) this.onRemoteChange('clients');
    if (this.subscribers.size === 0) return;
    for (const e of m.events) this.local.add(e);
    if (m.clients) this.local.addClients(m.clients.changed, m.clients.groupIds);
    this.schedule();
  }

  private schedule(): void {
    if (this.local.empty && this.outbox.empty) return;
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    this.timer = null;
    if (this.bus && !this.outbox.empty) {
      this.bus.send({
        origin: this.origin,
        events: [...this.outbox.events.values()],
        clients: this.outbox.changed > 0 ? { changed: this.outbox.changed, groupIds: [...this.outbox.groups] } : null,
      });
      this.outbox.clear();
    }
    if (this.local.empty) return;
    const events = [...this.local.events.values()];
    if (this.local.changed > 0) events.push({ type: 'clients', changed: this.local.changed, groupIds: [...this.local.groups] });
    // Health is read against policies, releases and settings too: any change is owed a fresh summary.
    const summaryDue = events.length > 0;
    this.local.clear();
    if (this.subscribers.size === 0) return;
    for (const e of events) this.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
    if (summaryDue) {
      this.summaryOwed = true;
      this.scheduleSummary();
    }
  }

  /** The latest summary follows the changes, at most once per summaryEveryMs however busy the fleet is. */
  private scheduleSummary(): void {
    if (this.summaryTimer || !this.summaryOwed) return;
    const wait = Math.max(0, this.lastSummaryAt + this.summaryEveryMs - Date.now());
    this.summaryTimer = setTimeout(() => void this.sendSummary(), wait);
    this.summaryTimer.unref();
  }

  private async sendSummary(): Promise<void> {
    this.summaryOwed = false;
    this.lastSummaryAt = Date.now();
    try {
      const summary = await this.summary();
      this.write(`event: summary\ndata: ${JSON.stringify({ type: 'summary', summary } satisfies ServerEvent)}\n\n`);
    } catch { /* the store is closing */ }
    this.summaryTimer = null;
    // Changes flushed while it was computed are owed another one.
    if (this.subscribers.size > 0) this.scheduleSummary();
  }

  private write(chunk: string): void {
    for (const res of this.subscribers) this.send(res, chunk);
  }

  /** A subscriber that stopped reading would keep every later event in memory: drop it instead. */
  private send(res: ServerResponse, chunk: string): void {
    if (res.writableEnded || res.destroyed) return;
    res.write(chunk);
    if (res.writableLength > this.limits.maxBufferedBytes) res.destroy();
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    if (this.timer) clearTimeout(this.timer);
    if (this.summaryTimer) clearTimeout(this.summaryTimer);
    for (const res of this.subscribers) res.end();
    this.subscribers.clear();
    await this.bus?.close();
  }
}
