// The server's use cases: read the store, ask src/core, write the result, publish what changed, audit who
// did it. No decision is made here; check-in and policy preview both call core's decide(). Each concern is a part
// of its own (checkins, releases, groups, rollouts, client search, counts) over the one store, catalog and event
// hub made here; what stays here is small: the audit, fleet settings, a client's detail and its move.
import {
  isValidVersion,
  type CheckinRequest, type Client, type ClientDetail, type FleetSettings, type Group, type HealthSummary, type Page, type Release,
  type ReportRequest, type SummaryResponse,
} from '../core';
import type { ArtifactStore } from './artifacts';
import { Catalog } from './catalog';
import { Checkins } from './checkins';
import { ClientSearch, type ClientPageQuery } from './clientSearch';
import { ApiError, notFound } from './errors';
import type { EventHub } from './events';
import { FleetCounts, type HealthOptions } from './fleetCounts';
import { Groups } from './groups';
import type { HeavyReads } from './heavy/heavyReads';
import { Releases } from './releases';
import { Rollouts } from './rollouts';
import type { FleetStore } from './store/store';

export { DEFAULT_GROUP_ID } from './catalog';

export interface Actor {
  name: string;
}

export class Fleet {
  readonly catalog: Catalog;
  readonly counts: FleetCounts;
  readonly checkins: Checkins;
  readonly rollouts: Rollouts;
  readonly search: ClientSearch;
  /** Releases: list, register, upload, approve / revoke / retire, roll back, pause (releases.ts). */
  readonly releases: Releases;
  /** Groups and their policies, and the policy preview (groups.ts). */
  readonly groups: Groups;

  constructor(
    readonly store: FleetStore,
    readonly events: EventHub,
    readonly artifacts: ArtifactStore,
    readonly heavy: HeavyReads,
    /** Approve only releases someone downloaded for testing (--require-download). */
    requireTestDownload = false,
    private readonly now: () => Date = () => new Date(),
    health: HealthOptions = {},
  ) {
    this.catalog = new Catalog(store, now);
    this.counts = new FleetCounts(store, this.catalog, heavy, now, health);
    this.checkins = new Checkins(store, this.catalog, this.counts, (groupId) => this.clientChanged(groupId), now);
    this.rollouts = new Rollouts(store, this.catalog, this.counts, events, (a, action, target, details) => this.audit(a, action, target, details), now);
    this.search = new ClientSearch(store, this.catalog, this.counts, heavy);
    this.releases = new Releases(this, requireTestDownload, now);
    this.groups = new Groups(this, now);
  }

  allReleases(): Promise<Release[]> { return this.catalog.allReleases(); }
  allGroups(): Promise<Group[]> { return this.catalog.allGroups(); }
  resolveRelease(ref: string): Promise<Release> { return this.catalog.resolveRelease(ref); }
  resolveGroup(ref: string): Promise<Group> { return this.catalog.resolveGroup(ref); }
  ensureDefaultGroup(): Promise<void> { return this.catalog.ensureDefaultGroup(); }
  /** Drop the cached releases and groups (after a change here or in another server process). */
  invalidate(): void {
    this.catalog.invalidate();
    this.counts.invalidateRollouts();
  }
  checkin(req: CheckinRequest, address?: string, known?: { client: Client | undefined }): ReturnType<Checkins['checkin']> { return this.checkins.checkin(req, address, known); }
  report(req: ReportRequest, known?: { client: Client | undefined }): Promise<void> { return this.checkins.report(req, known); }
  summary(): Promise<SummaryResponse> { return this.counts.summary(); }
  summaryHealth(): Promise<HealthSummary> { return this.counts.health(); }

  /** Another server process changed clients. */
  clientsChangedElsewhere(): void {
    this.counts.changed();
  }

  /** A client left the fleet (decommissioned). */
  clientsRemoved(groupId: string): void {
    this.clientChanged(groupId);
  }

  /** A client changed: consoles hear of it (coalesced), and the rollout outcomes are re-read. */
  private clientChanged(groupId: string): void {
    this.counts.changed();
    this.events.clientsChanged(groupId);
  }

  /** Who did what, when: every admin action goes through here. */
  async audit(actor: Actor, action: string, target: string, details: Record<string, unknown> = {}): Promise<void> {
    await this.store.audit.add({ at: this.now().toISOString(), actor: actor.name, action, target, details: JSON.stringify(details) });
  }

  // ---- fleet settings ---------------------------------------------------------------------------

  fleetSettings(): Promise<FleetSettings> { return this.catalog.fleetSettings(); }

  /** Seed 000's minimum auto-upgrade version, fleet-wide: the next check-in of every client decides with it. */
  async putFleetSettings(input: FleetSettings, actor: Actor): Promise<FleetSettings> {
    const raw = input.minimumAutoUpgradeVersion;
    const min = typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : null;
    if (min !== null && !isValidVersion(min)) {
      throw new ApiError(422, 'invalid-version', `"${raw}" is not a version: use numbers separated by dots (1.2.3), a build number (60000) or semver; empty for none.`);
    }
    const before = await this.store.settings.get();
    const after: FleetSettings = { minimumAutoUpgradeVersion: min };
    await this.store.settings.put(after);
    this.invalidate();
    await this.audit(actor, 'settings.update', 'minimumAutoUpgradeVersion', { before: before.minimumAutoUpgradeVersion, after: min });
    this.events.publish({ type: 'settings' });
    return after;
  }

  // ---- clients --------------------------------------------------------------------------------

  async clientDetail(id: string): Promise<ClientDetail> {
    const c = await this.store.getClient(id);
    if (!c) throw notFound('client', id);
    const groups = await this.allGroups();
    const [withHealth] = await this.counts.withHealth([c]);
    return { ...withHealth!, groupName: groups.find((g) => g.id === c.groupId)?.name ?? c.groupId, history: await this.store.clientHistory.entries(id) };
  }

  async moveClient(id: string, groupRef: string, actor: Actor): Promise<Client> {
    const c = await this.store.getClient(id);
    if (!c) throw notFound('client', id);
    const group = await this.resolveGroup(groupRef).catch(() => {
      throw new ApiError(422, 'unknown-group', `No group "${groupRef}" to move the client to.`);
    });
    await this.store.moveClient(id, group.id);
    this.counts.notSeen.moved(c, group.id);
    await this.audit(actor, 'client.move', c.computer || c.id, { from: c.groupId, to: group.id });
    this.clientChanged(c.groupId);
    this.clientChanged(group.id);
    return { ...c, groupId: group.id };
  }

  /** A page of clients by search text and filters, with its total (clientSearch.ts). */
  pageClients(query: ClientPageQuery): Promise<Page<Client>> {
    return this.search.page(query);
  }
}
