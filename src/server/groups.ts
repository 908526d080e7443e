// Client groups and their update policies: the list with client counts, create, save a policy, and the preview of
// a candidate policy. A policy is checked by core's validatePolicy; its ring and pinned version must name what
// exists. The preview is the very decide() a check-in calls (previewClasses.ts), run on the heavy-read worker.
import { randomBytes } from 'node:crypto';
import {
  findRelease, validatePolicy, withPolicyDefaults,
  type CreateGroupRequest, type Group, type GroupView, type Policy, type PolicyPreviewResponse,
} from '../core';
import type { Catalog } from './catalog';
import { ApiError } from './errors';
import type { EventHub } from './events';
import type { Actor, Fleet } from './fleet';
import type { FleetCounts } from './fleetCounts';
import type { HeavyReads } from './heavy/heavyReads';
import type { Rollouts } from './rollouts';
import type { FleetStore } from './store/store';

export interface GroupsContext {
  store: FleetStore;
  catalog: Catalog;
  counts: FleetCounts;
  rollouts: Rollouts;
  events: EventHub;
  heavy: HeavyReads;
  /** The fleet, for the audit and the caches a change drops. */
  fleet: Fleet;
  now: () => Date;
}

/** A group's id from its name: lower-case ASCII words joined by dashes. */
export function groupSlug(name: string): string {
  const s = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return s || 'group';
}

export class Groups {
  constructor(private readonly ctx: GroupsContext) {}

  async views(): Promise<GroupView[]> {
    const [groups, byGroup] = await Promise.all([this.ctx.catalog.allGroups(), this.ctx.counts.byGroup()]);
    return groups.map((g) => ({ ...g, clientCount: byGroup.get(g.id) ?? 0 }));
  }

  async view(ref: string): Promise<GroupView> {
    const g = await this.ctx.catalog.resolveGroup(ref);
    return { ...g, clientCount: (await this.ctx.counts.byGroup()).get(g.id) ?? 0 };
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
    const ringGroup = await this.ctx.catalog.resolveGroup(policy.ring.groupId).catch(() => undefined);
    const fail = (message: string) => { throw new ApiError(422, 'invalid-policy', message, { fields: [{ field: 'ring.groupId', message }] }); };
    if (!ringGroup) return fail(`The ring's group "${policy.ring.groupId}" does not exist.`);
    if (ringGroup.id === groupId) return fail('A group cannot be its own ring: name the group a release must succeed in first.');
    policy.ring = { ...policy.ring, groupId: ringGroup.id };
  }

  private async checkPinned(policy: Policy): Promise<void> {
    if (policy.mode === 'pinned' && policy.pinnedVersion) {
      const r = findRelease(policy.pinnedVersion, await this.ctx.catalog.allReleases());
      if (!r) throw new ApiError(422, 'invalid-policy', `Pinned version ${policy.pinnedVersion} is not a registered release.`, { fields: [{ field: 'pinnedVersion', message: `Pinned version ${policy.pinnedVersion} is not a registered release.` }] });
    }
  }

  async create(req: CreateGroupRequest, actor: Actor): Promise<GroupView> {
    const name = req.name.trim();
    if (!name) throw new ApiError(422, 'invalid-name', 'A group needs a name.');
    const groups = await this.ctx.catalog.allGroups();
    if (groups.some((g) => g.name.toLowerCase() === name.toLowerCase())) throw new ApiError(409, 'group-exists', `A group named "${name}" exists already.`);
    const policy = this.checkPolicy(withPolicyDefaults(req.policy));
    await this.checkPinned(policy);
    await this.checkRing(policy, null);
    let id = groupSlug(name);
    while (groups.some((g) => g.id === id)) id = `${groupSlug(name)}-${randomBytes(2).toString('hex')}`;
    const group: Group = { id, name, description: req.description ?? '', policy };
    await this.ctx.store.insertGroup(group, this.ctx.now().toISOString());
    this.ctx.fleet.invalidate();
    await this.ctx.fleet.audit(actor, 'group.create', name, { policy });
    await this.ctx.rollouts.ringSet(group, null);
    this.ctx.events.publish({ type: 'group', groupId: id });
    return { ...group, clientCount: 0 };
  }

  async putPolicy(ref: string, input: unknown, actor: Actor): Promise<Policy> {
    const group = await this.ctx.catalog.resolveGroup(ref);
    const policy = this.checkPolicy(input);
    await this.checkPinned(policy);
    await this.checkRing(policy, group.id);
    await this.ctx.store.updatePolicy(group.id, policy);
    this.ctx.fleet.invalidate();
    await this.ctx.fleet.audit(actor, 'policy.update', group.name, { before: group.policy, after: policy });
    await this.ctx.rollouts.ringSet({ ...group, policy }, group.policy);
    this.ctx.events.publish({ type: 'policy', groupId: group.id });
    return policy;
  }

  /**
   * What a candidate policy would do now: the very decide() the check-in calls, once per class of clients the
   * rules cannot tell apart, on the heavy-read worker so a 250k-client group does not stall check-ins.
   */
  async preview(ref: string, input: unknown, limit = 50): Promise<PolicyPreviewResponse> {
    const { catalog, counts, heavy } = this.ctx;
    const group = await catalog.resolveGroup(ref);
    const policy = this.checkPolicy(input);
    await this.checkPinned(policy); // a preview refuses what Save refuses
    await this.checkRing(policy, group.id);
    const [releases, facts, byGroup] = await Promise.all([catalog.allReleases(), counts.facts(group.id), counts.byGroup()]);
    let fleetSize = 0;
    for (const n of byGroup.values()) fleetSize += n;
    const largeGroup = (byGroup.get(group.id) ?? 0) * 10 > fleetSize;
    return heavy.preview({ groupId: group.id, largeGroup, policy, releases, now: this.ctx.now().toISOString(), facts, limit });
  }
}
