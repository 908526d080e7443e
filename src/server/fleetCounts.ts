// Fleet-wide figures — the summary, clients per release and per group, rollout outcomes — read from the counts
// table that triggers keep (store migration 0002): a few hundred rows whatever the fleet's size, so every figure
// is exact and cheap, and nothing scans clients on the request path.
//
// Health is read against each group's policy now (core's classifyHealth); the clients not seen are counted apart
// (notSeenCount.ts) and taken out of the live rows.
import {
  clientHealth, compareVersions, DEFAULT_NOT_SEEN_DAYS, healthCounts, outcomesByTargetVersion, recordsByGroup, summarize,
  type Client, type FleetFacts, type HealthContext, type HealthCount, type HealthSummary, type RolloutRecord, type SummaryResponse,
} from '../core';
import type { Catalog } from './catalog';
import type { HeavyReads } from './heavy/heavyReads';
import { NotSeenCount } from './notSeenCount';
import type { FleetStore } from './store/store';
import type { ClientCount } from './store/clientCounts';

/** Rollout outcomes feed every check-in's halt rule: re-read at most this often, in the background. */
const FACTS_MS = 1_000;

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
  /** The recorded rollouts (halted, paused, promoted), per group; re-read with the outcomes and after a change. */
  private rollouts: { all: RolloutRecord[]; byGroup: Map<string, Record<string, RolloutRecord>> } | null = null;
  private rolloutsLoading: Promise<void> | null = null;
  /** Told after each re-read of the counts: the rollout rules (halt, rings) are evaluated there. */
  onRefresh: (rows: ClientCount[]) => Promise<void> = async () => {};
  /** Clients with no check-in for notSeen.days days. */
  readonly notSeen: NotSeenCount;

  constructor(
    private readonly store: FleetStore,
    private readonly catalog: Catalog,
    heavy: HeavyReads,
    private readonly now: () => Date,
    opts: HealthOptions = {},
  ) {
    this.notSeen = new NotSeenCount(heavy, now, opts.notSeenDays ?? DEFAULT_NOT_SEEN_DAYS, opts.notSeenRefreshMs);
  }

  get notSeenDays(): number {
    return this.notSeen.days;
  }

  /** The recorded rollouts as they are now (a small table: releases × groups at most). */
  async rolloutRecords(): Promise<RolloutRecord[]> {
    if (!this.rollouts) await this.reloadRollouts();
    return this.rollouts!.all;
  }

  /** A rollout was recorded here or elsewhere: the next check-in waits for the new records. */
  reloadRollouts(): Promise<void> {
    this.rolloutsLoading ??= this.store.rollouts.list()
      .then((all) => {
        const byGroup = new Map<string, Record<string, RolloutRecord>>();
        for (const g of new Set(all.map((r) => r.groupId))) byGroup.set(g, recordsByGroup(all, g));
        this.rollouts = { all, byGroup };
      })
      .finally(() => { this.rolloutsLoading = null; });
    return this.rolloutsLoading;
  }

  /** Forget the records (another process may have changed them): re-read before the next decision. */
  invalidateRollouts(): void {
    this.rollouts = null;
  }

  /** The counts as they are now (one small indexed read). */
  rows(): Promise<ClientCount[]> {
    return this.store.counts.all();
  }

  /** A client changed, here or in another server process. */
  changed(): void {
    this.changeSeq++;
  }

  /** Re-read the counts and the records now (and evaluate the rollout rules on them): after any read in flight. */
  async refresh(): Promise<void> {
    await this.outcomesLoading?.catch(() => { /* read again below */ });
    return this.refreshOutcomes();
  }

  private refreshOutcomes(): Promise<void> {
    const seq = this.changeSeq;
    this.outcomesLoading ??= Promise.all([this.rows(), this.reloadRollouts()])
      .then(([rows]) => {
        this.outcomes = { at: Date.now(), seq, byVersion: outcomesByTargetVersion(rows) };
        return this.onRefresh(rows).catch(() => { /* evaluated again at the next refresh */ });
      })
      .finally(() => { this.outcomesLoading = null; });
    return this.outcomesLoading;
  }

  /** Fleet-wide outcomes per target version, as last read (what the halt rule weighs). */
  async outcomesByVersion(): Promise<Map<string, { attempted: number; failed: number }>> {
    if (!this.outcomes) await this.refreshOutcomes();
    return this.outcomes!.byVersion;
  }

  /**
   * What a decision needs of the fleet: outcomes per release (the halt rule), the rollouts recorded for `groupId`
   * (halted, paused, promoted by a ring) and the fleet's minimum auto-upgrade version. Refreshed behind the
   * check-ins, never awaited by them after the first.
   */
  async facts(groupId?: string): Promise<FleetFacts> {
    if (!this.outcomes) await this.refreshOutcomes();
    else if (this.outcomes.seq !== this.changeSeq && Date.now() - this.outcomes.at > FACTS_MS) void this.refreshOutcomes().catch(() => { /* keep the last facts */ });
    if (!this.rollouts) await this.reloadRollouts();
    const [releases, settings] = await Promise.all([this.catalog.allReleases(), this.catalog.fleetSettings()]);
    const outcomesByRelease: FleetFacts['outcomesByRelease'] = {};
    for (const r of releases) {
      const o = this.outcomes!.byVersion.get(r.version);
      if (o) outcomesByRelease[r.id] = o;
    }
    const rollouts = groupId ? this.rollouts?.byGroup.get(groupId) : undefined;
    return { outcomesByRelease, minimumAutoUpgradeVersion: settings.minimumAutoUpgradeVersion, ...(rollouts ? { rollouts } : {}) };
  }

  // ---- health -----------------------------------------------------------------------------------

  /** Every counted class of clients with its health against its group's policy now (and its group's rollouts). */
  async healthRows(): Promise<HealthCount[]> {
    const [rows, notSeen, groups, releases] = await Promise.all([this.rows(), this.notSeen.rows(), this.catalog.allGroups(), this.catalog.allReleases()]);
    const now = this.now();
    const facts = await Promise.all(groups.map((g) => this.facts(g.id)));
    const contexts = new Map<string, HealthContext>(groups.map((g, i) => [g.id, { policy: g.policy, releases, now, facts: facts[i] }]));
    return healthCounts(rows, notSeen, (id) => contexts.get(id));
  }

  /** Clients with their health now (a page or one client: the same rule as the figures, per client). */
  async withHealth<C extends Client>(clients: C[]): Promise<C[]> {
    if (clients.length === 0) return clients;
    const [groups, releases] = await Promise.all([this.catalog.allGroups(), this.catalog.allReleases()]);
    const now = this.now();
    const factsByGroup = new Map<string, FleetFacts>();
    for (const id of new Set(clients.map((c) => c.groupId))) factsByGroup.set(id, await this.facts(id));
    return clients.map((c) => {
      const g = groups.find((x) => x.id === c.groupId);
      if (!g) return c;
      const v = clientHealth(c, { policy: g.policy, releases, now, facts: factsByGroup.get(c.groupId)! }, this.notSeenDays);
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
