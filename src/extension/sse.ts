// Server-sent events, the vscode-free part: a line parser and the change set that coalesces a burst of events
// into one refresh. Unit-tested in test/unit/extension-sse.test.ts.
import type { HealthSummary } from '../core/types';
import type { RolloutEvent, ServerEvent } from '../core/wire';

export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/** Incremental text/event-stream parser: feed chunks, get complete messages. */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;

  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    let nl: number;
    while ((nl = this.buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buffer.slice(0, nl);
      const sepLen = this.buffer.startsWith('\r\n', nl) ? 2 : 1;
      this.buffer = this.buffer.slice(nl + sepLen);
      if (line === '') {
        if (this.data.length > 0) out.push({ event: this.event || 'message', data: this.data.join('\n'), ...(this.id ? { id: this.id } : {}) });
        this.event = '';
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue; // comment / keep-alive
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') this.event = value;
      else if (field === 'data') this.data.push(value);
      else if (field === 'id') this.id = value;
    }
    return out;
  }
}

/** Decode one SSE message into a ServerEvent, or undefined for anything unknown (forward compatible). */
export function toServerEvent(m: SseMessage): ServerEvent | undefined {
  let payload: unknown;
  try {
    payload = JSON.parse(m.data);
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null) return undefined;
  const p = payload as Record<string, unknown>;
  const type = (typeof p.type === 'string' ? p.type : m.event) as ServerEvent['type'];
  if (!['release', 'policy', 'group', 'clients', 'summary', 'rollout', 'settings'].includes(type)) return undefined;
  return { ...p, type } as ServerEvent;
}

/** What needs refreshing after a burst of events. */
export interface ChangeSet {
  releases: boolean;
  groups: boolean;
  clients: boolean;
  /** Groups whose clients changed (empty with clients=true means "some"). */
  groupIds: string[];
  /** Groups whose policy changed. */
  policyGroupIds: string[];
  /** The newest summary pushed by the server, if any. */
  summary?: HealthSummary;
  /** Rollouts that changed (halted, paused, resumed, promoted), oldest first: the console tells the admin. */
  rollouts?: RolloutEvent[];
  /** True when everything should be reloaded (first connect, reconnect, manual refresh). */
  all: boolean;
}

export class ChangeAccumulator {
  private pending: ChangeSet | undefined;

  get isEmpty(): boolean {
    return this.pending === undefined;
  }

  add(e: ServerEvent | 'all'): void {
    const c = (this.pending ??= { releases: false, groups: false, clients: false, groupIds: [], policyGroupIds: [], all: false });
    if (e === 'all') {
      c.all = c.releases = c.groups = c.clients = true;
      return;
    }
    switch (e.type) {
      case 'release':
        c.releases = true;
        break;
      case 'policy':
        c.groups = true;
        if (!c.policyGroupIds.includes(e.groupId)) c.policyGroupIds.push(e.groupId);
        break;
      // The fleet's minimum version moves clients between health figures: the summary the server sends next says how.
      case 'settings':
      case 'group':
        c.groups = true;
        break;
      case 'clients':
        c.clients = true;
        for (const g of e.groupIds ?? []) if (!c.groupIds.includes(g)) c.groupIds.push(g);
        break;
      case 'summary':
        c.summary = e.summary;
        break;
      case 'rollout':
        c.releases = true;
        (c.rollouts ??= []).push(e);
        break;
    }
  }

  take(): ChangeSet | undefined {
    const c = this.pending;
    this.pending = undefined;
    return c;
  }
}

/** Reconnect delay: 1 s, 2 s, 4 s … up to 30 s. */
export function backoffMs(attempt: number, baseMs = 1000, maxMs = 30_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
}
