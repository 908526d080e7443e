// Finding clients for the console: a page of a search (text, group, state, version) and its total, never a scan
// of the fleet on the event loop. Which way a page is found — the (computer, id) order walked, the trigram index,
// the heavy-read worker — is decided here, from the counts and from the first rows read.
import type { Client, Page } from '../core';
import type { Catalog } from './catalog';
import { ApiError } from './errors';
import type { FleetCounts } from './fleetCounts';
import type { HeavyReads } from './heavy/heavyReads';
import { isIndexedText, type ClientFilter, type ClientPageRequest } from './store/clientQueries';
import type { FleetStore } from './store/store';

/** A search reads at most this many rows in order before it asks the trigram index instead. */
const WALK_BUDGET = 2_000;
/** How far a search walks on (off the event loop) when its first rows promise a full page. */
const DEEP_WALK_MAX = 50_000;
/** Search totals stop counting here ("10,000+"): an exact count of a broad term would read the whole fleet. */
export const TOTAL_CAP = 10_000;

/** GET /api/v1/clients's query: a cursor is the last row's (computer, id) of the page before, as given out. */
export interface ClientPageQuery {
  q?: string;
  group?: string;
  state?: Client['state'];
  version?: string;
  cursor?: string;
  limit?: number;
}

export class ClientSearch {
  constructor(
    private readonly store: FleetStore,
    private readonly catalog: Catalog,
    private readonly counts: FleetCounts,
    private readonly heavy: HeavyReads,
  ) {}

  /**
   * One page of a search, never a scan of the fleet on the event loop: a broad term is answered by walking the
   * (computer, id) order, which fills a page within a few rows; any other by the trigram index, and a text too short
   * for the index (1–2 characters) by testing rows in order — both on the heavy-read worker (SQLite) or in the
   * database server (PostgreSQL), since their cost grows with the matches. State and version have no index (a
   * check-in would move its entries in both): the counts tell how dense the filter is, and the walk goes as far as
   * that needs.
   */
  private async findClients(req: ClientPageRequest): Promise<Client[]> {
    const byColumnsOnly = !req.q;
    if (byColumnsOnly && !req.state && !req.version) return this.store.clientQueries.pageClients(req);
    const sqlite = this.store.dialect === 'sqlite';
    const walk = (budget?: number) => (sqlite ? this.heavy.walk(req, budget) : this.store.clientQueries.walkClients(req, budget));
    if (req.q && !isIndexedText(req.q)) return (await walk()).items;
    // Rows to read in order for a full page: from the counts for the columns alone, else from the first rows.
    let needed: number | undefined;
    if (byColumnsOnly) {
      const [matches, all] = await Promise.all([
        this.counts.matching({ groupId: req.groupId, state: req.state, version: req.version }),
        this.counts.matching({ groupId: req.groupId }),
      ]);
      if (matches === 0) return [];
      needed = Math.ceil(((all * req.limit) / matches) * 1.5);
    }
    if (needed === undefined || needed <= WALK_BUDGET) {
      const walked = await this.store.clientQueries.walkClients(req, WALK_BUDGET);
      if (walked.items.length >= req.limit || walked.exhausted) return walked.items;
      // The first rows tell the term's density: if a page should fill within DEEP_WALK_MAX rows, walking on is
      // cheaper than gathering and sorting every match from the index.
      needed = walked.items.length > 0 ? Math.ceil(((WALK_BUDGET * req.limit) / walked.items.length) * 1.5) : undefined;
    }
    if (needed !== undefined && needed <= DEEP_WALK_MAX) {
      const deeper = await walk(needed);
      if (deeper.items.length >= req.limit || deeper.exhausted) return deeper.items;
    }
    return sqlite ? this.heavy.page(req) : this.store.clientQueries.pageClients(req);
  }

  /** The total beside a page: from the counts without a text; counted up to a cap with one; none below a trigram. */
  private async countClients(f: ClientFilter): Promise<{ total?: number; totalCapped?: boolean }> {
    if (!f.q) return { total: await this.counts.matching(f) };
    if (!isIndexedText(f.q)) return {};
    const r = this.store.dialect === 'sqlite' ? await this.heavy.count(f, TOTAL_CAP) : await this.store.clientQueries.countClientsCapped(f, TOTAL_CAP);
    return r.capped ? { total: r.total, totalCapped: true } : { total: r.total };
  }

  async page(query: ClientPageQuery): Promise<Page<Client>> {
    const limit = query.limit ?? 100;
    let after: { computer: string; id: string } | undefined;
    if (query.cursor) {
      try {
        const parsed = JSON.parse(Buffer.from(query.cursor, 'base64url').toString('utf8')) as unknown;
        if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string') throw new Error('shape');
        after = { computer: parsed[0], id: parsed[1] };
      } catch {
        throw new ApiError(400, 'invalid-cursor', 'The cursor is not one this server gave out; start again without it.');
      }
    }
    const groupId = query.group ? (await this.catalog.resolveGroup(query.group)).id : undefined;
    const filter: ClientFilter = { q: query.q?.trim() || undefined, groupId, state: query.state, version: query.version };
    // One row more than asked tells whether there is a next page, so the last page carries no cursor.
    const [found, total] = await Promise.all([this.findClients({ ...filter, after, limit: limit + 1 }), this.countClients(filter)]);
    const page = { items: found, ...total };
    const items = await this.counts.withHealth(page.items.slice(0, limit));
    const last = items[items.length - 1];
    return {
      items,
      ...(page.total !== undefined ? { total: page.total } : {}),
      ...(page.totalCapped ? { totalCapped: true } : {}),
      ...(page.items.length > limit && last ? { nextCursor: Buffer.from(JSON.stringify([last.computer, last.id])).toString('base64url') } : {}),
    };
  }
}
