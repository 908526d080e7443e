// Server-sent events: what changed. Coalesced so a fleet checking in thousands of times a second sends a
// console one "clients" event per interval (with how many changed and in which groups), not one per check-in.
import type { ServerResponse } from 'node:http';
import type { ServerEvent } from '../core/wire';
import type { HealthSummary } from '../core/types';

export class EventHub {
  private readonly subscribers = new Set<ServerResponse>();
  private readonly pending = new Map<string, ServerEvent>();
  private clientChanges = 0;
  private readonly clientGroups = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    /** Computes the summary sent after client changes (one query per flush, not per check-in). */
    private readonly summary: () => Promise<HealthSummary>,
    private readonly flushMs = 500,
  ) {
    // Proxies close idle streams; a comment line every 15 s keeps them open.
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), 15_000);
    this.heartbeat.unref();
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  subscribe(res: ServerResponse): void {
    this.subscribers.add(res);
    res.on('close', () => this.subscribers.delete(res));
    res.write(': connected\n\n');
  }

  /** Release, policy and group events: one per thing per flush (the latest wins). */
  publish(e: ServerEvent): void {
    const key = e.type === 'release' ? `release:${e.releaseId}` : e.type === 'policy' || e.type === 'group' ? `${e.type}:${e.groupId}` : e.type;
    this.pending.set(key, e);
    this.schedule();
  }

  clientsChanged(groupId: string, n = 1): void {
    this.clientChanges += n;
    this.clientGroups.add(groupId);
    this.schedule();
  }

  private schedule(): void {
    if (this.subscribers.size === 0) {
      // Nobody listens: nothing to coalesce.
      this.pending.clear();
      this.clientChanges = 0;
      this.clientGroups.clear();
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    this.timer = null;
    const events = [...this.pending.values()];
    this.pending.clear();
    if (this.clientChanges > 0) {
      events.push({ type: 'clients', changed: this.clientChanges, groupIds: [...this.clientGroups] });
      this.clientChanges = 0;
      this.clientGroups.clear();
      try {
        events.push({ type: 'summary', summary: await this.summary() });
      } catch { /* the store is closing; the next flush will tell */ }
    }
    for (const e of events) this.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
  }

  private write(chunk: string): void {
    for (const res of this.subscribers) {
      if (!res.writableEnded) res.write(chunk);
    }
  }

  close(): void {
    clearInterval(this.heartbeat);
    if (this.timer) clearTimeout(this.timer);
    for (const res of this.subscribers) res.end();
    this.subscribers.clear();
  }
}
