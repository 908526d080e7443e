// The server's use cases: read the store, ask src/core, write the result, publish what changed, audit who
// did it. No decision is made here; check-in and policy preview both call core's decide().
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  applyLifecycle, compareVersions, findRelease, isPrerelease, isValidVersion, planRollback, validatePolicy, withPolicyDefaults,
  type RolloutChangeResponse, type RolloutRequest,
  type CheckinRequest, type Client, type ClientDetail, type CreateGroupRequest, type Group, type GroupView, type HealthSummary,
  type LifecycleAction, type Page, type Policy, type PolicyPreviewResponse, type RegisterReleaseRequest, type Release,
  type FleetSettings, type ReleaseView, type ReportRequest, type RollbackPlanView, type RollbackRequest, type SummaryResponse,
} from '../core';
import type { ArtifactStore } from './artifacts';
import { Catalog } from './catalog';
import { Checkins } from './checkins';
import { ApiError, notFound } from './errors';
import { assertApprovable } from './releaseReview';
import type { EventHub } from './events';
import { FleetCounts, type HealthOptions } from './fleetCounts';
import { Rollouts } from './rollouts';
import type { HeavyReads } from './heavy/heavyReads';
import { ClientSearch, type ClientPageQuery } from './clientSearch';
import type { FleetStore } from './store/store';

export { DEFAULT_GROUP_ID } from './catalog';

export interface Actor {
  name: string;
}

function slug(name: string): string {
  const s = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return s || 'group';
}

export class Fleet {
  readonly catalog: Catalog;
  readonly counts: FleetCounts;
  readonly checkins: Checkins;
  readonly rollouts: Rollouts;
  readonly search: ClientSearch;

  constructor(
    readonly store: FleetStore,
    readonly events: EventHub,
    readonly artifacts: ArtifactStore,
    readonly heavy: HeavyReads,
    /** Approve only releases someone downloaded for testing (--require-download). */
    private readonly requireTestDownload = false,
    private readonly now: () => Date = () => new Date(),
    health: HealthOptions = {},
  ) {
    this.catalog = new Catalog(store, now);
    this.counts = new FleetCounts(store, this.catalog, heavy, now, health);
    this.checkins = new Checkins(store, this.catalog, this.counts, (groupId) => this.clientChanged(groupId), now);
    this.rollouts = new Rollouts(store, this.catalog, this.counts, events, (a, action, target, details) => this.audit(a, action, target, details), now);
    this.search = new ClientSearch(store, this.catalog, this.counts, heavy);
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

  // ---- releases -------------------------------------------------------------------------------

  async releaseViews(): Promise<ReleaseView[]> {
    const [releases, rows, byVersion] = await Promise.all([this.allReleases(), this.counts.rows(), this.counts.byVersion()]);
    const rollouts = await this.rollouts.views(releases, rows);
    return [...releases]
      .sort((a, b) => compareVersions(b.version, a.version))
      .map((r) => ({ ...r, clientCount: byVersion[r.version] ?? 0, ...(rollouts.has(r.id) ? { rollouts: rollouts.get(r.id) } : {}) }));
  }

  async releaseView(ref: string): Promise<ReleaseView> {
    const r = await this.resolveRelease(ref);
    if (r.state !== 'approved') return { ...r, clientCount: (await this.counts.byVersion())[r.version] ?? 0 };
    const [releases, rows] = await Promise.all([this.allReleases(), this.counts.rows()]);
    const rollouts = (await this.rollouts.views(releases, rows)).get(r.id);
    return { ...r, clientCount: (await this.counts.byVersion())[r.version] ?? 0, ...(rollouts ? { rollouts } : {}) };
  }

  /** Pause Rollout / Resume Rollout. */
  async changeRollout(ref: string, to: 'paused' | 'running', req: RolloutRequest, actor: Actor): Promise<RolloutChangeResponse> {
    return this.rollouts.change(ref, to, req, actor);
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
    return { ...release, clientCount: (await this.counts.byVersion())[release.version] ?? 0 };
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
      artifact: { url: `/agent/v1/artifacts/${sha256}`, sha256, size, ...(signature ? { signature } : {}) },
    };
    await this.store.updateRelease(updated);
    this.invalidate();
    await this.audit(actor, 'release.upload', release.version, { sha256, size });
    this.events.publish({ type: 'release', releaseId: updated.id, version: updated.version, state: updated.state });
    return this.releaseView(updated.id);
  }

  async lifecycle(ref: string, action: LifecycleAction, actor: Actor, note?: string): Promise<ReleaseView> {
    // Download, test, and then approve: never approve bits nobody could have tested — a rollback's target included.
    if (action === 'approve') await assertApprovable(this, ref, this.requireTestDownload);
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
    // Where the clients came from: their history, read for a bounded sample (indexed and LIMITed).
    const bad = findRelease(ref, releases);
    // SQLite: on the heavy-read worker (no version index: a rare version's clients are found by a scan).
    const origins = !bad ? [] : this.store.dialect === 'sqlite' ? await this.heavy.rollbackOrigins(bad.version) : await this.store.rollbackOrigins(bad.version);
    const plan = planRollback(ref, releases, origins);
    if (!plan.ok) {
      throw new ApiError(plan.code === 'not-found' ? 404 : 409, plan.code, plan.message);
    }
    const affectedClients = (await this.counts.byVersion())[plan.release.version] ?? 0;
    const target = plan.target ?? plan.mustApprove;
    const view: RollbackPlanView = {
      release: plan.release.version,
      targetVersion: target?.version ?? null,
      targetReleaseId: target?.id ?? null,
      mustApproveVersion: plan.mustApprove?.version ?? null,
      targetState: target?.state ?? null,
      revivesRetired: plan.revivesRetired,
      basis: plan.basis,
      originClients: plan.originClients,
      affectedClients,
      carriedOut: false,
    };
    if (req.dryRun) return view;
    if (plan.revivesRetired && !req.reviveRetired) {
      throw new ApiError(409, 'rollback-target-retired', `${plan.message} Send reviveRetired: true (and approveTarget: true) to approve it again as part of the rollback.`, { plan: view });
    }
    if (plan.mustApprove && !req.approveTarget) {
      throw new ApiError(409, 'rollback-target-not-approved', `${plan.message} Send approveTarget: true to approve ${plan.mustApprove.version} as part of the rollback.`, { plan: view });
    }
    if (plan.mustApprove) await this.lifecycle(plan.mustApprove.id, 'approve', actor, `approved to roll back ${plan.release.version}${plan.revivesRetired ? ' (revived from retired)' : ''}`);
    // The revoked release's clients go to this target (check-ins ask rollbackTargetFor), not merely the highest below.
    if (target) {
      await this.store.updateRelease({ ...(await this.resolveRelease(plan.release.id)), rollbackTo: target.id });
      this.invalidate();
    }
    if (plan.release.state === 'approved') await this.lifecycle(plan.release.id, 'revoke', actor, req.note ?? 'rolled back');
    await this.audit(actor, 'release.rollback', plan.release.version, {
      to: view.targetVersion, basis: plan.basis, affectedClients, ...(plan.revivesRetired ? { revivedRetired: true } : {}), ...(req.note ? { note: req.note } : {}),
    });
    return { ...view, mustApproveVersion: null, carriedOut: true };
  }

  // ---- groups and policies --------------------------------------------------------------------

  async groupViews(): Promise<GroupView[]> {
    const [groups, byGroup] = await Promise.all([this.allGroups(), this.counts.byGroup()]);
    return groups.map((g) => ({ ...g, clientCount: byGroup.get(g.id) ?? 0 }));
  }

  async groupView(ref: string): Promise<GroupView> {
    const g = await this.resolveGroup(ref);
    return { ...g, clientCount: (await this.counts.byGroup()).get(g.id) ?? 0 };
  }

  checkPolicy(input: unknown): Policy {
    const v = validatePolicy(input);
    if (!v.ok) {
      throw new ApiError(422, 'invalid-policy', v.errors.map((e) => e.message).join(' '), { fields: v.errors });
    }
    return v.policy;
  }

  /** A ring names another existing group. */
  private async checkRing(policy: Policy, groupId: string | null): Promise<void> {
    if (!policy.ring) return;
    const ringGroup = await this.resolveGroup(policy.ring.groupId).catch(() => undefined);
    const fail = (message: string) => { throw new ApiError(422, 'invalid-policy', message, { fields: [{ field: 'ring.groupId', message }] }); };
    if (!ringGroup) return fail(`The ring's group "${policy.ring.groupId}" does not exist.`);
    if (ringGroup.id === groupId) return fail('A group cannot be its own ring: name the group a release must succeed in first.');
    policy.ring = { ...policy.ring, groupId: ringGroup.id };
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
    await this.checkRing(policy, null);
    let id = slug(name);
    while (groups.some((g) => g.id === id)) id = `${slug(name)}-${randomBytes(2).toString('hex')}`;
    const group: Group = { id, name, description: req.description ?? '', policy };
    await this.store.insertGroup(group, this.now().toISOString());
    this.invalidate();
    await this.audit(actor, 'group.create', name, { policy });
    await this.rollouts.ringSet(group, null);
    this.events.publish({ type: 'group', groupId: id });
    return { ...group, clientCount: 0 };
  }

  async putPolicy(ref: string, input: unknown, actor: Actor): Promise<Policy> {
    const group = await this.resolveGroup(ref);
    const policy = this.checkPolicy(input);
    await this.checkPinned(policy);
    await this.checkRing(policy, group.id);
    await this.store.updatePolicy(group.id, policy);
    this.invalidate();
    await this.audit(actor, 'policy.update', group.name, { before: group.policy, after: policy });
    await this.rollouts.ringSet({ ...group, policy }, group.policy);
    this.events.publish({ type: 'policy', groupId: group.id });
    return policy;
  }

  /**
   * What a candidate policy would do now: the very decide() the check-in calls, once per class of clients the
   * rules cannot tell apart, on the heavy-read worker so a 250k-client group does not stall check-ins.
   */
  async preview(ref: string, input: unknown, limit = 50): Promise<PolicyPreviewResponse> {
    const group = await this.resolveGroup(ref);
    const policy = this.checkPolicy(input);
    await this.checkPinned(policy); // a preview refuses what Save refuses
    await this.checkRing(policy, group.id);
    const [releases, facts, byGroup] = await Promise.all([this.allReleases(), this.counts.facts(group.id), this.counts.byGroup()]);
    let fleetSize = 0;
    for (const n of byGroup.values()) fleetSize += n;
    const largeGroup = (byGroup.get(group.id) ?? 0) * 10 > fleetSize;
    return this.heavy.preview({ groupId: group.id, largeGroup, policy, releases, now: this.now().toISOString(), facts, limit });
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
    const before = await this.store.fleetSettings();
    const after: FleetSettings = { minimumAutoUpgradeVersion: min };
    await this.store.putFleetSettings(after);
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
    return { ...withHealth!, groupName: groups.find((g) => g.id === c.groupId)?.name ?? c.groupId, history: await this.store.history(id) };
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
