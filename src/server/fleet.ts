// The server's use cases: read the store, ask src/core, write the result, publish what changed, audit who
// did it. No decision is made here; check-in and policy preview both call core's decide().
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  applyLifecycle, compareVersions, decide, findRelease, isPrerelease, isValidVersion, planRollback, stateAfterCheckin, summarize,
  toCheckinResponse, validatePolicy, withPolicyDefaults,
  type Client, type ClientDetail, type DecisionAction, type FleetFacts, type Group, type GroupView, type HealthSummary,
  type LifecycleAction, type Policy, type PolicyPreviewResponse, type Release, type ReleaseView, type RollbackPlanView,
  type RollbackRequest, type SummaryResponse, type CheckinRequest, type CheckinResponse, type ReportRequest,
  type RegisterReleaseRequest, type CreateGroupRequest, type Page,
} from '../core';
import type { StateVersionCount } from '../core/summary';
import type { ArtifactStore } from './artifacts';
import { ApiError, notFound } from './errors';
import type { EventHub } from './events';
import type { FleetStore } from './store/store';

export const DEFAULT_GROUP_ID = 'default';

/** Releases and groups change rarely and are read on every check-in: cached, and reloaded after a short while so
 * several server processes on one PostgreSQL database see each other's changes. */
const CACHE_MS = 2_000;
/** Fleet facts (outcomes per release, for the rollout halt) are a GROUP BY over every client: refreshed in the
 * background at most this often, never on the check-in path. */
const FACTS_MS = 10_000;

/** Counts by group, state and version: one GROUP BY serves release counts, group counts and every summary. */
type Counts = Array<StateVersionCount & { groupId: string }>;

export interface Actor {
  name: string;
}

function slug(name: string): string {
  const s = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return s || 'group';
}

function clientsIn(rows: Counts, groupId: string): number {
  let n = 0;
  for (const r of rows) if (r.groupId === groupId) n += r.count;
  return n;
}

export class Fleet {
  private releases: { at: number; list: Release[] } | null = null;
  private groups: { at: number; list: Group[] } | null = null;
  private outcomes: { at: number; byVersion: Map<string, { attempted: number; failed: number }> } | null = null;
  private outcomesLoading: Promise<void> | null = null;
  private counts: { at: number; seq: number; rows: Counts } | null = null;
  private countsLoading: Promise<Counts> | null = null;
  /** Bumped by every client change this process makes: counts computed at the same seq are still exact. */
  private changeSeq = 0;

  constructor(
    readonly store: FleetStore,
    readonly events: EventHub,
    readonly artifacts: ArtifactStore,
    /** How long fleet-wide counts may be reused: many consoles and the event stream share one query. */
    private readonly countsCacheMs = 1_000,
    private readonly now: () => Date = () => new Date(),
  ) {}

  // ---- caches ---------------------------------------------------------------------------------

  async allReleases(): Promise<Release[]> {
    if (!this.releases || Date.now() - this.releases.at > CACHE_MS) this.releases = { at: Date.now(), list: await this.store.listReleases() };
    return this.releases.list;
  }

  async allGroups(): Promise<Group[]> {
    if (!this.groups || Date.now() - this.groups.at > CACHE_MS) this.groups = { at: Date.now(), list: await this.store.listGroups() };
    return this.groups.list;
  }

  /** Drop the cached releases and groups (after a change here or in another server process). */
  invalidate(): void {
    this.releases = null;
    this.groups = null;
  }

  private refreshOutcomes(): Promise<void> {
    this.outcomesLoading ??= this.store.outcomesByTargetVersion()
      .then((byVersion) => { this.outcomes = { at: Date.now(), byVersion }; })
      .finally(() => { this.outcomesLoading = null; });
    return this.outcomesLoading;
  }

  async fleetFacts(): Promise<FleetFacts> {
    if (!this.outcomes) await this.refreshOutcomes();
    else if (Date.now() - this.outcomes.at > FACTS_MS) void this.refreshOutcomes().catch(() => { /* keep the last facts */ });
    const releases = await this.allReleases();
    const outcomesByRelease: FleetFacts['outcomesByRelease'] = {};
    for (const r of releases) {
      const o = this.outcomes!.byVersion.get(r.version);
      if (o) outcomesByRelease[r.id] = o;
    }
    return { outcomesByRelease };
  }

  /**
   * Counts by group, state and version. Exact while no client changed since they were computed; otherwise reused
   * for up to countsCacheMs, so many consoles reloading after a burst share one query (`fresh` skips that reuse:
   * the event stream's summary, which comes after the changes it follows).
   */
  private async fleetCounts(fresh = false): Promise<Counts> {
    const c = this.counts;
    if (c && (c.seq === this.changeSeq || (!fresh && Date.now() - c.at <= this.countsCacheMs))) return c.rows;
    if (this.countsLoading) return this.countsLoading;
    const seq = this.changeSeq;
    this.countsLoading = this.store.stateVersionCounts()
      .then((rows) => { this.counts = { at: Date.now(), seq, rows }; return rows; })
      .finally(() => { this.countsLoading = null; });
    return this.countsLoading;
  }

  /** Another server process changed clients: our counts are no longer exact either. */
  clientsChangedElsewhere(): void {
    this.changeSeq++;
  }

  /** A client changed: counts are no longer exact, and consoles hear of it (coalesced). */
  private clientChanged(groupId: string): void {
    this.changeSeq++;
    this.events.clientsChanged(groupId);
  }

  /** Who did what, when: every admin action goes through here. */
  async audit(actor: Actor, action: string, target: string, details: Record<string, unknown> = {}): Promise<void> {
    await this.store.addAudit({ at: this.now().toISOString(), actor: actor.name, action, target, details: JSON.stringify(details) });
  }

  // ---- setup ----------------------------------------------------------------------------------

  /** A fresh server has the Default group (seed 001: by default clients do not upgrade automatically). */
  async ensureDefaultGroup(): Promise<void> {
    const groups = await this.store.listGroups();
    if (!groups.some((g) => g.id === DEFAULT_GROUP_ID)) {
      await this.store.insertGroup({ id: DEFAULT_GROUP_ID, name: 'Default', description: 'Clients seen for the first time land here.', policy: withPolicyDefaults(undefined) }, this.now().toISOString());
      this.invalidate();
    }
  }

  // ---- releases -------------------------------------------------------------------------------

  async resolveRelease(ref: string): Promise<Release> {
    const r = findRelease(ref, await this.allReleases());
    if (!r) throw notFound('release', ref);
    return r;
  }

  async releaseViews(): Promise<ReleaseView[]> {
    const [releases, rows] = await Promise.all([this.allReleases(), this.fleetCounts()]);
    const byVersion = summarize(rows).byVersion;
    return [...releases]
      .sort((a, b) => compareVersions(b.version, a.version))
      .map((r) => ({ ...r, clientCount: byVersion[r.version] ?? 0 }));
  }

  async releaseView(ref: string): Promise<ReleaseView> {
    const r = await this.resolveRelease(ref);
    return { ...r, clientCount: await this.store.countClientsOnVersion(r.version) };
  }

  async registerRelease(req: RegisterReleaseRequest, actor: Actor): Promise<ReleaseView> {
    const version = req.version.trim();
    if (!isValidVersion(version)) {
      throw new ApiError(422, 'invalid-version', `"${req.version}" is not a version: use numbers separated by dots (3.59.127.0, 1.2.2), a build number (60000) or semver (4.0.0-beta.1).`);
    }
    const releases = await this.allReleases();
    const same = releases.find((r) => compareVersions(r.version, version) === 0);
    if (same) throw new ApiError(409, 'release-exists', `Release ${same.version} is already registered.`);
    if (req.url && !/^https?:\/\//i.test(req.url)) throw new ApiError(422, 'invalid-url', 'The package url must start with http:// or https://.');
    if (req.url && !req.sha256) throw new ApiError(422, 'sha256-required', 'A package url needs its sha256, so agents can verify what they download.');
    const at = this.now().toISOString();
    const release: Release = {
      id: `r-${randomBytes(6).toString('hex')}`,
      version,
      // Seed 000: a pre-release (4.0.0-beta.1) registered without a channel carries the beta tag.
      channel: req.channel ?? (isPrerelease(version) ? 'beta' : 'stable'),
      notes: req.notes ?? '',
      mandatory: req.mandatory ?? false,
      artifact: {
        ...(req.url ? { url: req.url } : {}),
        ...(req.size !== undefined ? { size: req.size } : {}),
        ...(req.sha256 ? { sha256: req.sha256.toLowerCase() } : {}),
        ...(req.signature ? { signature: req.signature } : {}),
      },
      state: 'pending',
      createdAt: at,
      createdBy: actor.name,
      transitions: [{ from: null, to: 'pending', by: actor.name, at }],
    };
    await this.store.insertRelease(release);
    this.invalidate();
    await this.audit(actor, 'release.register', release.version, { channel: release.channel, mandatory: release.mandatory });
    this.events.publish({ type: 'release', releaseId: release.id, version: release.version, state: release.state });
    return { ...release, clientCount: await this.store.countClientsOnVersion(release.version) };
  }

  async uploadArtifact(ref: string, body: Readable, actor: Actor, signature?: string): Promise<ReleaseView> {
    const release = await this.resolveRelease(ref);
    // Approved bits must not change under an approval: upload while pending, or register a new release.
    if (release.state !== 'pending') {
      body.resume();
      throw new ApiError(409, 'release-not-pending', `Release ${release.version} is ${release.state}; its package can only be replaced while it is pending.`);
    }
    const { sha256, size } = await this.artifacts.save(body);
    const updated: Release = {
      ...release,
      artifact: { url: `/agent/v1/artifacts/${sha256}`, sha256, size, ...(signature ? { signature } : release.artifact.signature ? { signature: release.artifact.signature } : {}) },
    };
    await this.store.updateRelease(updated);
    this.invalidate();
    await this.audit(actor, 'release.upload', release.version, { sha256, size });
    this.events.publish({ type: 'release', releaseId: updated.id, version: updated.version, state: updated.state });
    return this.releaseView(updated.id);
  }

  async lifecycle(ref: string, action: LifecycleAction, actor: Actor, note?: string): Promise<ReleaseView> {
    const release = await this.resolveRelease(ref);
    const result = applyLifecycle(release, action, actor.name, this.now(), note);
    if (!result.ok) throw new ApiError(409, result.code, result.message);
    await this.store.updateRelease(result.release);
    this.invalidate();
    await this.audit(actor, `release.${action}`, release.version, { from: release.state, to: result.release.state, ...(note ? { note } : {}) });
    this.events.publish({ type: 'release', releaseId: release.id, version: release.version, state: result.release.state });
    return this.releaseView(release.id);
  }

  async rollback(ref: string, req: RollbackRequest, actor: Actor): Promise<RollbackPlanView> {
    const releases = await this.allReleases();
    const plan = planRollback(ref, releases);
    if (!plan.ok) {
      throw new ApiError(plan.code === 'not-found' ? 404 : 409, plan.code, plan.message);
    }
    const affectedClients = await this.store.countClientsOnVersion(plan.release.version);
    const view: RollbackPlanView = {
      release: plan.release.version,
      targetVersion: plan.target?.version ?? plan.mustApprove?.version ?? null,
      targetReleaseId: plan.target?.id ?? plan.mustApprove?.id ?? null,
      mustApproveVersion: plan.mustApprove?.version ?? null,
      affectedClients,
      carriedOut: false,
    };
    if (req.dryRun) return view;
    if (plan.mustApprove && !req.approveTarget) {
      throw new ApiError(409, 'rollback-target-not-approved', `${plan.message} Send approveTarget: true to approve ${plan.mustApprove.version} as part of the rollback.`, { plan: view });
    }
    if (plan.mustApprove) await this.lifecycle(plan.mustApprove.id, 'approve', actor, `approved to roll back ${plan.release.version}`);
    if (plan.release.state === 'approved') await this.lifecycle(plan.release.id, 'revoke', actor, req.note ?? 'rolled back');
    await this.audit(actor, 'release.rollback', plan.release.version, { to: view.targetVersion, affectedClients, ...(req.note ? { note: req.note } : {}) });
    return { ...view, mustApproveVersion: null, carriedOut: true };
  }

  // ---- groups and policies --------------------------------------------------------------------

  async resolveGroup(ref: string): Promise<Group> {
    const groups = await this.allGroups();
    const g = groups.find((x) => x.id === ref) ?? groups.find((x) => x.name.toLowerCase() === ref.toLowerCase());
    if (!g) throw notFound('group', ref);
    return g;
  }

  async groupViews(): Promise<GroupView[]> {
    const [groups, rows] = await Promise.all([this.allGroups(), this.fleetCounts()]);
    return groups.map((g) => ({ ...g, clientCount: clientsIn(rows, g.id) }));
  }

  async groupView(ref: string): Promise<GroupView> {
    const g = await this.resolveGroup(ref);
    return { ...g, clientCount: clientsIn(await this.fleetCounts(), g.id) };
  }

  checkPolicy(input: unknown): Policy {
    const v = validatePolicy(input);
    if (!v.ok) {
      throw new ApiError(422, 'invalid-policy', v.errors.map((e) => e.message).join(' '), { fields: v.errors });
    }
    return v.policy;
  }

  private async checkPinned(policy: Policy): Promise<void> {
    if (policy.mode === 'pinned' && policy.pinnedVersion) {
      const r = findRelease(policy.pinnedVersion, await this.allReleases());
      if (!r) throw new ApiError(422, 'invalid-policy', `Pinned version ${policy.pinnedVersion} is not a registered release.`, { fields: [{ field: 'pinnedVersion', message: `Pinned version ${policy.pinnedVersion} is not a registered release.` }] });
    }
  }

  async createGroup(req: CreateGroupRequest, actor: Actor): Promise<GroupView> {
    const name = req.name.trim();
    if (!name) throw new ApiError(422, 'invalid-name', 'A group needs a name.');
    const groups = await this.allGroups();
    if (groups.some((g) => g.name.toLowerCase() === name.toLowerCase())) throw new ApiError(409, 'group-exists', `A group named "${name}" exists already.`);
    const policy = this.checkPolicy(withPolicyDefaults(req.policy));
    await this.checkPinned(policy);
    let id = slug(name);
    while (groups.some((g) => g.id === id)) id = `${slug(name)}-${randomBytes(2).toString('hex')}`;
    const group: Group = { id, name, description: req.description ?? '', policy };
    await this.store.insertGroup(group, this.now().toISOString());
    this.invalidate();
    await this.audit(actor, 'group.create', name, { policy });
    this.events.publish({ type: 'group', groupId: id });
    return { ...group, clientCount: 0 };
  }

  async putPolicy(ref: string, input: unknown, actor: Actor): Promise<Policy> {
    const group = await this.resolveGroup(ref);
    const policy = this.checkPolicy(input);
    await this.checkPinned(policy);
    await this.store.updatePolicy(group.id, policy);
    this.invalidate();
    await this.audit(actor, 'policy.update', group.name, { before: group.policy, after: policy });
    this.events.publish({ type: 'policy', groupId: group.id });
    return policy;
  }

  /** What a candidate policy would do now, client by client: the very decide() the check-in calls. */
  async preview(ref: string, input: unknown, limit = 50): Promise<PolicyPreviewResponse> {
    const group = await this.resolveGroup(ref);
    const policy = this.checkPolicy(input);
    await this.checkPinned(policy); // a preview refuses what Save refuses
    const [releases, facts] = await Promise.all([this.allReleases(), this.fleetFacts()]);
    const now = this.now();
    const counts: Record<DecisionAction, number> = { none: 0, offer: 0, force: 0, downgrade: 0, manual: 0 };
    const clients: PolicyPreviewResponse['clients'] = [];
    let total = 0;
    for await (const batch of this.store.iterateClients({ groupId: group.id })) {
      for (const c of batch) {
        const d = decide(c, policy, releases, now, facts);
        counts[d.action]++;
        total++;
        if (clients.length < limit) clients.push({ client: c, action: d.action, targetVersion: d.release?.version ?? null, reason: d.reason, message: d.message });
      }
    }
    return { counts, total, clients };
  }

  // ---- clients --------------------------------------------------------------------------------

  async clientDetail(id: string): Promise<ClientDetail> {
    const c = await this.store.getClient(id);
    if (!c) throw notFound('client', id);
    const groups = await this.allGroups();
    return { ...c, groupName: groups.find((g) => g.id === c.groupId)?.name ?? c.groupId, history: await this.store.history(id) };
  }

  async moveClient(id: string, groupRef: string, actor: Actor): Promise<Client> {
    const c = await this.store.getClient(id);
    if (!c) throw notFound('client', id);
    const group = await this.resolveGroup(groupRef).catch(() => {
      throw new ApiError(422, 'unknown-group', `No group "${groupRef}" to move the client to.`);
    });
    await this.store.moveClient(id, group.id);
    await this.audit(actor, 'client.move', c.computer || c.id, { from: c.groupId, to: group.id });
    this.clientChanged(c.groupId);
    this.clientChanged(group.id);
    return { ...c, groupId: group.id };
  }

  async pageClients(query: { q?: string; group?: string; state?: Client['state']; version?: string; cursor?: string; limit?: number }): Promise<Page<Client>> {
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
    const groupId = query.group ? (await this.resolveGroup(query.group)).id : undefined;
    // One row more than asked tells whether there is a next page, so the last page carries no cursor.
    const page = await this.store.pageClients({ q: query.q, groupId, state: query.state, version: query.version, after, limit: limit + 1 });
    const items = page.items.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items,
      ...(page.total !== undefined ? { total: page.total } : {}),
      ...(page.items.length > limit && last ? { nextCursor: Buffer.from(JSON.stringify([last.computer, last.id])).toString('base64url') } : {}),
    };
  }

  // ---- agent ----------------------------------------------------------------------------------

  async checkin(req: CheckinRequest): Promise<{ response: CheckinResponse; client: Client; release?: Release }> {
    const now = this.now();
    const previous = await this.store.getClient(req.clientId);
    const groupId = previous?.groupId ?? DEFAULT_GROUP_ID;
    const groups = await this.allGroups();
    const group = groups.find((g) => g.id === groupId) ?? groups.find((g) => g.id === DEFAULT_GROUP_ID);
    if (!group) throw new ApiError(409, 'no-group', 'The server has no group for this client.');
    const [releases, facts] = await Promise.all([this.allReleases(), this.fleetFacts()]);
    const deferredUntil = req.deferredUntil !== undefined ? req.deferredUntil : previous?.deferredUntil ?? null;
    const decision = decide({ id: req.clientId, version: req.version, deferredUntil }, group.policy, releases, now, facts);
    const recorded = stateAfterCheckin(decision, req.state, previous);
    const { after } = await this.store.writeClient({
      id: req.clientId, name: req.name, computer: req.computer, ip: req.ip, user: req.user, version: req.version,
      ...recorded, deferredUntil: recorded.state === 'deferred' ? deferredUntil : null, at: now.toISOString(), groupId: group.id,
    }, previous);
    if (!previous || previous.state !== after.state || previous.version !== after.version) this.clientChanged(after.groupId);
    return { response: toCheckinResponse(decision, group.policy, now), client: after, release: decision.release };
  }

  async report(req: ReportRequest): Promise<void> {
    const c = await this.store.getClient(req.clientId);
    if (!c) throw new ApiError(404, 'unknown-client', `Client "${req.clientId}" has not checked in yet; check in first.`);
    if (req.version !== undefined && !isValidVersion(req.version)) throw new ApiError(422, 'invalid-version', `"${req.version}" is not a version.`);
    // A report without a reason keeps the old one only while the state stays (download progress); a new state
    // starts clean, so "Checksum mismatch" does not stick to a later "downloading".
    const { after } = await this.store.writeClient({
      id: c.id, name: c.name, computer: c.computer, ip: c.ip, user: c.user,
      version: req.version ?? c.version,
      state: req.state,
      targetVersion: req.targetVersion !== undefined ? req.targetVersion : c.targetVersion,
      reason: req.reason ?? (req.state === c.state ? c.reason : null),
      deferredUntil: req.state === 'deferred' ? req.deferredUntil ?? c.deferredUntil : null,
      at: this.now().toISOString(),
      groupId: c.groupId,
    }, c);
    if (after.state !== c.state || after.version !== c.version) this.clientChanged(c.groupId);
  }

  // ---- summary --------------------------------------------------------------------------------

  async summaryHealth(): Promise<HealthSummary> {
    return summarize(await this.fleetCounts(true));
  }

  async summary(): Promise<SummaryResponse> {
    const rows = await this.fleetCounts();
    const groups = await this.allGroups();
    const byGroup: Record<string, HealthSummary> = {};
    for (const g of groups) byGroup[g.id] = summarize(rows.filter((r) => r.groupId === g.id));
    const latest = (await this.allReleases())
      .filter((r) => r.state === 'approved' && r.channel === 'stable')
      .sort((a, b) => compareVersions(b.version, a.version))[0];
    return { overall: summarize(rows), byGroup, latestApproved: latest?.version ?? null };
  }
}
