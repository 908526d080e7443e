// Client groups and their update policies: the list with client counts, create, save a policy, and the preview of
// a candidate policy. A policy is checked by core's validatePolicy; its ring and pinned version must name what
// exists. The preview is the very decide() a check-in calls (previewClasses.ts), run on the heavy-read worker.
import { randomBytes } from 'node:crypto';
import {
  findRelease, validatePolicy, withPolicyDefaults,
  type CreateGroupRequest, type Group, type GroupView, type Policy, type PolicyPreviewResponse,
} from '../core';
import { ApiError } from './errors';
import type { Actor, Fleet } from './fleet';

/** A group's id from its name: lower-case ASCII words joined by dashes. */
function groupSlug(name: string): string {
  const s = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return s || 'group';
}

/** Over the fleet's store, catalog, counts, rollouts, events and heavy reads (fleet.ts makes one). */
export class Groups {
  constructor(private readonly fleet: Fleet, private readonly now: () => Date) {}

  async views(): Promise<GroupView[]> {
    const [groups, byGroup] = await Promise.all([this.fleet.catalog.allGroups(), this.fleet.counts.byGroup()]);
    return groups.map((g) => ({ ...g, clientCount: byGroup.get(g.id) ?? 0 }));
  }

  async view(ref: string): Promise<GroupView> {
    const g = await this.fleet.catalog.resolveGroup(ref);
    return { ...g, clientCount: (await this.fleet.counts.byGroup()).get(g.id) ?? 0 };
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
    const ringGroup = await this.fleet.catalog.resolveGroup(policy.ring.groupId).catch(() => undefined);
    const fail = (message: string) => { throw new ApiError(422, 'invalid-policy', message, { fields: [{ field: 'ring.groupId', message }] }); };
    if (!ringGroup) return fail(`The ring's group "${policy.ring.groupId}" does not exist.`);
    if (ringGroup.id === groupId) return fail('A group cannot be its own ring: name the group a release must succeed in first.');
    policy.ring = { ...policy.ring, groupId: ringGroup.id };
  }

  private async checkPinned(policy: Policy): Promise<void> {
    if (policy.mode === 'pinned' && policy.pinnedVersion) {
      const r = findRelease(policy.pinnedVersion, await this.fleet.catalog.allReleases());
      if (!r) throw new ApiError(422, 'invalid-policy', `Pinned version ${policy.pinnedVersion} is not a registered release.`, { fields: [{ field: 'pinnedVersion', message: `Pinned version ${policy.pinnedVersion} is not a registered release.` }] });
    }
  }

  async create(req: CreateGroupRequest, actor: Actor): Promise<GroupView> {
    const name = req.name.trim();
    if (!name) throw new ApiError(422, 'invalid-name', 'A group needs a name.');
    const groups = await this.fleet.catalog.allGroups();
    if (groups.some((g) => g.name.toLowerCase() === name.toLowerCase())) throw new ApiError(409, 'group-exists', `A group named "${name}" exists already.`);
    const policy = this.checkPolicy(withPolicyDefaults(req.policy));
    await this.checkPinned(policy);
    await this.checkRing(policy, null);
    let id = groupSlug(name);
    while (groups.some((g) => g.id === id)) id = `${groupSlug(name)}-${randomBytes(2).toString('hex')}`;
    const group: Group = { id, name, description: req.description ?? '', policy };
    await this.fleet.store.groups.insert(group, this.now().toISOString());
    this.fleet.invalidate();
    await this.fleet.audit(actor, 'group.create', name, { policy });
    await this.fleet.rollouts.ringSet(group, null);
    this.fleet.events.publish({ type: 'group', groupId: id });
    return { ...group, clientCount: 0 };
  }

  async putPolicy(ref: string, input: unknown, actor: Actor): Promise<Policy> {
    const group = await this.fleet.catalog.resolveGroup(ref);
    const policy = this.checkPolicy(input);
    await this.checkPinned(policy);
    await this.checkRing(policy, group.id);
    await this.fleet.store.groups.updatePolicy(group.id, policy);
    this.fleet.invalidate();
    await this.fleet.audit(actor, 'policy.update', group.name, { before: group.policy, after: policy });
    await this.fleet.rollouts.ringSet({ ...group, policy }, group.policy);
    this.fleet.events.publish({ type: 'policy', groupId: group.id });
    return policy;
  }

  /**
   * What a candidate policy would do now: the very decide() the check-in calls, once per class of clients the
   * rules cannot tell apart, on the heavy-read worker so a 250k-client group does not stall check-ins.
   */
  async preview(ref: string, input: unknown, limit = 50): Promise<PolicyPreviewResponse> {
    const { catalog, counts, heavy } = this.fleet;
    const group = await catalog.resolveGroup(ref);
    const policy = this.checkPolicy(input);
    await this.checkPinned(policy); // a preview refuses what Save refuses
    await this.checkRing(policy, group.id);
    const [releases, facts, byGroup] = await Promise.all([catalog.allReleases(), counts.facts(group.id), counts.byGroup()]);
    let fleetSize = 0;
    for (const n of byGroup.values()) fleetSize += n;
    const largeGroup = (byGroup.get(group.id) ?? 0) * 10 > fleetSize;
    return heavy.preview({ groupId: group.id, largeGroup, policy, releases, now: this.now().toISOString(), facts, limit });
  }
}
