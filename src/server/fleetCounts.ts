// Fleet-wide figures — the summary, clients per release and per group, rollout outcomes — read from the counts
// table that triggers keep (store migration 0002): a few hundred rows whatever the fleet's size, so every figure
// is exact and cheap, and nothing scans clients on the request path.
//
// Health is read against each group's policy now (core's classifyHealth). "Not seen" is time-based: a client
// becomes not seen without any write, so no trigger can keep it. It is counted apart by the heavy-read worker
// (one GROUP BY over clients whose last check-in is older than the cut-off, off the event loop) at start and every
// few minutes; a check-in from a client in that count takes it out at once. A day bucket of last_seen in the counts
// key was the other way: it would add a counts write to the first check-in of every client every day.
// A check-in therefore writes nothing more than before, and the count lags a new not-seen client by at most one
// refresh — minutes against a threshold of days.
import {
  clientHealth, compareVersions, DEFAULT_NOT_SEEN_DAYS, healthCounts, notSeenCutoff, outcomesByTargetVersion, summarize,
  type Client, type CountRow, type FleetFacts, type HealthContext, type HealthCount, type HealthSummary, type SummaryResponse,
} from '../core';
import type { Catalog } from './catalog';
import type { HeavyReads } from './heavy/heavyReads';
import type { ClientCount, FleetStore } from './store/store';

/** Rollout outcomes feed every check-in's halt rule: re-read at most this often, in the background. */
const FACTS_MS = 1_000;
/** The not-seen count is taken again this often (a scan, on the worker). */
const NOT_SEEN_REFRESH_MS = 5 * 60_000;

export interface HealthOptions {
  /** A client with no check-in for this many days counts as not seen (default 7). */
  notSeenDays?: number;
  /** How often the not-seen count is taken again, ms (default 5 minutes). */
  notSeenRefreshMs?: number;
}

export class FleetCounts {
  private outcomes: { at: number; seq: number; byVersion: Map<string, { attempted: number; failed: number }> } | null = null;
  private outcomesLoading: Promise<void> | null = null;
  /** Bumped by every client change: outcomes read at the same seq are still exact. */
  private changeSeq = 0;
  readonly notSeenDays: number;
  private readonly notSeenRefreshMs: number;
  /** Clients not seen, per counts key, as the worker last counted them (minus those seen again since). */
  private notSeen: { cutoff: string; rows: CountRow[] } | null = null;
  private notSeenLoading: Promise<void> | null = null;
  private notSeenTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: FleetStore,
    private readonly catalog: Catalog,
    private readonly heavy: HeavyReads,
    private readonly now: () => Date,
    opts: HealthOptions = {},
  ) {
    this.notSeenDays = opts.notSeenDays ?? DEFAULT_NOT_SEEN_DAYS;
    this.notSeenRefreshMs = opts.notSeenRefreshMs ?? NOT_SEEN_REFRESH_MS;
  }

  /** The counts as they are now (one small indexed read). */
  rows(): Promise<ClientCount[]> {
    return this.store.clientCounts();
  }

  /** A client changed, here or in another server process. */
  changed(): void {
    this.changeSeq++;
  }

  private refreshOutcomes(): Promise<void> {
    const seq = this.changeSeq;
    this.outcomesLoading ??= this.rows()
      .then((rows) => { this.outcomes = { at: Date.now(), seq, byVersion: outcomesByTargetVersion(rows) }; })
      .finally(() => { this.outcomesLoading = null; });
    return this.outcomesLoading;
  }

  /** What a decision needs of the fleet: rollout outcomes per release (refreshed behind the check-ins, never awaited by them after the first) and the fleet's minimum auto-upgrade version. */
  async facts(): Promise<FleetFacts> {
    if (!this.outcomes) await this.refreshOutcomes();
    else if (this.outcomes.seq !== this.changeSeq && Date.now() - this.outcomes.at > FACTS_MS) void this.refreshOutcomes().catch(() => { /* keep the last facts */ });
    const [releases, settings] = await Promise.all([this.catalog.allReleases(), this.catalog.fleetSettings()]);
    const outcomesByRelease: FleetFacts['outcomesByRelease'] = {};
    for (const r of releases) {
      const o = this.outcomes!.byVersion.get(r.version);
      if (o) outcomesByRelease[r.id] = o;
    }
    return { outcomesByRelease, minimumAutoUpgradeVersion: settings.minimumAutoUpgradeVersion };
  }

  // ---- not seen ---------------------------------------------------------------------------------

  /** Count the clients not seen now, on the worker; then again every notSeenRefreshMs. */
  refreshNotSeen(): Promise<void> {
    this.notSeenLoading ??= (async () => {
      const cutoff = notSeenCutoff(this.now(), this.notSeenDays).toISOString();
      const rows = await this.heavy.notSeen(cutoff);
      this.notSeen = { cutoff, rows };
    })().finally(() => {
      this.notSeenLoading = null;
      this.scheduleNotSeen();
    });
    return this.notSeenLoading;
  }

  private scheduleNotSeen(): void {
    if (this.notSeenTimer) clearTimeout(this.notSeenTimer);
    this.notSeenTimer = setTimeout(() => void this.refreshNotSeen().catch(() => { /* the next round */ }), this.notSeenRefreshMs);
    this.notSeenTimer.unref();
  }

  stop(): void {
    if (this.notSeenTimer) clearTimeout(this.notSeenTimer);
    this.notSeenTimer = null;
  }

  /**
   * A client checked in (or was moved): if the last count had it as not seen, take it out now, so a fleet coming
   * back is counted back at once. `before` is the row as it was.
   */
  clientTouched(before: Client | undefined): void {
    if (!before || !this.notSeen || !(before.lastSeen < this.notSeen.cutoff)) return;
    const row = this.notSeen.rows.find((r) => r.groupId === before.groupId && r.version === before.version && r.state === before.state && r.targetVersion === before.targetVersion);
    if (row && row.count > 0) row.count--;
  }

  /** A client was moved: if the last count had it as not seen, it stays not seen, in its new group. */
  clientMoved(before: Client, groupId: string): void {
    if (!this.notSeen || !(before.lastSeen < this.notSeen.cutoff)) return;
    this.clientTouched(before);
    const key = { ...before, groupId };
    const row = this.notSeen.rows.find((r) => r.groupId === groupId && r.version === key.version && r.state === key.state && r.targetVersion === key.targetVersion);
    if (row) row.count++;
    else this.notSeen.rows.push({ groupId, version: key.version, state: key.state, targetVersion: key.targetVersion, count: 1 });
  }

  private async notSeenRows(): Promise<CountRow[]> {
    if (!this.notSeen) await this.refreshNotSeen().catch(() => { /* counted as seen until the worker answers */ });
    return this.notSeen?.rows ?? [];
  }

  // ---- health -----------------------------------------------------------------------------------

  /** Every counted class of clients with its health against its group's policy now. */
  async healthRows(): Promise<HealthCount[]> {
    const [rows, notSeen, groups, releases, facts] = await Promise.all([this.rows(), this.notSeenRows(), this.catalog.allGroups(), this.catalog.allReleases(), this.facts()]);
    const now = this.now();
    const contexts = new Map<string, HealthContext>(groups.map((g) => [g.id, { policy: g.policy, releases, now, facts }]));
    return healthCounts(rows, notSeen, (id) => contexts.get(id));
  }

  /** Clients with their health now (a page or one client: the same rule as the figures, per client). */
  async withHealth<C extends Client>(clients: C[]): Promise<C[]> {
    if (clients.length === 0) return clients;
    const [groups, releases, facts] = await Promise.all([this.catalog.allGroups(), this.catalog.allReleases(), this.facts()]);
    const now = this.now();
    return clients.map((c) => {
      const g = groups.find((x) => x.id === c.groupId);
      if (!g) return c;
      const v = clientHealth(c, { policy: g.policy, releases, now, facts }, this.notSeenDays);
      return { ...c, health: v.health, healthReason: v.reason };
    });
  }

  async health(): Promise<HealthSummary> {
    return summarize(await this.healthRows(), this.notSeenDays);
  }

  async byVersion(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const r of await this.rows()) out[r.version] = (out[r.version] ?? 0) + r.count;
    return out;
  }

  async byGroup(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const r of await this.rows()) out.set(r.groupId, (out.get(r.groupId) ?? 0) + r.count);
    return out;
  }

  /** Clients matching group / state / version filters (no text): a sum over the counts. */
  async matching(f: { groupId?: string; state?: string; version?: string }): Promise<number> {
    let n = 0;
    for (const r of await this.rows()) {
      if ((f.groupId && r.groupId !== f.groupId) || (f.state && r.state !== f.state) || (f.version && r.version !== f.version)) continue;
      n += r.count;
    }
    return n;
  }

  async summary(): Promise<SummaryResponse> {
    const [rows, groups, releases] = await Promise.all([this.healthRows(), this.catalog.allGroups(), this.catalog.allReleases()]);
    const byGroup: SummaryResponse['byGroup'] = {};
    for (const g of groups) byGroup[g.id] = summarize(rows.filter((r) => r.groupId === g.id), this.notSeenDays);
    const latest = releases
      .filter((r) => r.state === 'approved' && r.channel === 'stable')
      .sort((a, b) => compareVersions(b.version, a.version))[0];
    return { overall: summarize(rows, this.notSeenDays), byGroup, latestApproved: latest?.version ?? null };
  }
}
