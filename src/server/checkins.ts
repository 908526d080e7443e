// What agents do: check in (ask core's decide() what this client gets, record what happened) and report
// progress. The hot path of the server: it reads only cached releases and groups, the client's own row and the
// cached rollout outcomes, and writes only that client (the counts follow by trigger in the same transaction).
import {
  decide, isValidVersion, stateAfterCheckin, toCheckinResponse,
  type CheckinRequest, type CheckinResponse, type Client, type Release, type ReportRequest,
} from '../core';
import { DEFAULT_GROUP_ID, type Catalog } from './catalog';
import { ApiError } from './errors';
import type { FleetCounts } from './fleetCounts';
import type { FleetStore } from './store/store';

export class Checkins {
  constructor(
    private readonly store: FleetStore,
    private readonly catalog: Catalog,
    private readonly counts: FleetCounts,
    /** A client's group, state or version changed: consoles hear of it (coalesced). */
    private readonly clientChanged: (groupId: string) => void,
    private readonly now: () => Date,
  ) {}

  /**
   * `address`: the connection's, recorded beside the IP the agent reports. `known`: the client's row when the
   * caller has read it already (with the credential).
   */
  async checkin(req: CheckinRequest, address?: string, known?: { client: Client | undefined }): Promise<{ response: CheckinResponse; client: Client; release?: Release }> {
    const now = this.now();
    const previous = known ? known.client : await this.store.getClient(req.clientId);
    const groupId = previous?.groupId ?? DEFAULT_GROUP_ID;
    const groups = await this.catalog.allGroups();
    const group = groups.find((g) => g.id === groupId) ?? groups.find((g) => g.id === DEFAULT_GROUP_ID);
    if (!group) throw new ApiError(409, 'no-group', 'The server has no group for this client.');
    const [releases, facts] = await Promise.all([this.catalog.allReleases(), this.counts.facts(group.id)]);
    const deferredUntil = req.deferredUntil !== undefined ? req.deferredUntil : previous?.deferredUntil ?? null;
    const decision = decide({ id: req.clientId, version: req.version, deferredUntil }, group.policy, releases, now, facts);
    const recorded = stateAfterCheckin(decision, req.state, previous);
    const { after } = await this.store.writeClient({
      id: req.clientId, name: req.name, computer: req.computer, ip: req.ip, user: req.user, version: req.version,
      ...recorded, deferredUntil: recorded.state === 'deferred' ? deferredUntil : null, at: now.toISOString(), groupId: group.id,
      ...(address !== undefined ? { address } : {}),
    }, previous);
    this.counts.notSeen.touched(previous);
    if (!previous || previous.state !== after.state || previous.version !== after.version || previous.targetVersion !== after.targetVersion) this.clientChanged(after.groupId);
    return { response: toCheckinResponse(decision, group.policy, now), client: after, release: decision.release };
  }

  async report(req: ReportRequest, known?: { client: Client | undefined }): Promise<void> {
    const c = known ? known.client : await this.store.getClient(req.clientId);
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
    this.counts.notSeen.touched(c);
    if (after.state !== c.state || after.version !== c.version || after.targetVersion !== c.targetVersion) this.clientChanged(c.groupId);
  }
}
