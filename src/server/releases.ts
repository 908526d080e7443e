// Releases as the console sees and steers them: the list with client counts and rollouts, register, package
// upload, the lifecycle (approve, revoke, retire), rollback and pausing a rollout. Decisions are core's
// (applyLifecycle, planRollback); this reads the store, writes the result, audits and publishes.
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  applyLifecycle, compareVersions, findRelease, isPrerelease, isValidVersion, planRollback,
  type LifecycleAction, type RegisterReleaseRequest, type Release, type ReleaseView, type RollbackPlanView, type RollbackRequest,
  type RolloutChangeResponse, type RolloutRequest,
} from '../core';
import { ApiError } from './errors';
import type { Actor, Fleet } from './fleet';
import { assertApprovable } from './releaseReview';

/** Over the fleet's store, catalog, counts, rollouts, events and artifacts (fleet.ts makes one). */
export class Releases {
  constructor(
    private readonly fleet: Fleet,
    /** Approve only releases someone downloaded for testing (--require-download). */
    private readonly requireTestDownload: boolean,
    private readonly now: () => Date,
  ) {}

  private async clientCount(version: string): Promise<number> {
    return (await this.fleet.counts.byVersion())[version] ?? 0;
  }

  /** A release changed: caches dropped, the audit written, consoles told. */
  private async changed(release: Release, actor: Actor, action: string, details: Record<string, unknown>): Promise<void> {
    this.fleet.invalidate();
    await this.fleet.audit(actor, action, release.version, details);
    this.fleet.events.publish({ type: 'release', releaseId: release.id, version: release.version, state: release.state });
  }

  async views(): Promise<ReleaseView[]> {
    const { catalog, counts, rollouts } = this.fleet;
    const [releases, rows, byVersion] = await Promise.all([catalog.allReleases(), counts.rows(), counts.byVersion()]);
    const byRelease = await rollouts.views(releases, rows);
    return [...releases]
      .sort((a, b) => compareVersions(b.version, a.version))
      .map((r) => ({ ...r, clientCount: byVersion[r.version] ?? 0, ...(byRelease.has(r.id) ? { rollouts: byRelease.get(r.id) } : {}) }));
  }

  async view(ref: string): Promise<ReleaseView> {
    const { catalog, counts, rollouts } = this.fleet;
    const r = await catalog.resolveRelease(ref);
    if (r.state !== 'approved') return { ...r, clientCount: await this.clientCount(r.version) };
    const [releases, rows] = await Promise.all([catalog.allReleases(), counts.rows()]);
    const own = (await rollouts.views(releases, rows)).get(r.id);
    return { ...r, clientCount: await this.clientCount(r.version), ...(own ? { rollouts: own } : {}) };
  }

  /** Pause Rollout / Resume Rollout. */
  changeRollout(ref: string, to: 'paused' | 'running', req: RolloutRequest, actor: Actor): Promise<RolloutChangeResponse> {
    return this.fleet.rollouts.change(ref, to, req, actor);
  }

  async register(req: RegisterReleaseRequest, actor: Actor): Promise<ReleaseView> {
    const version = req.version.trim();
    if (!isValidVersion(version)) {
      throw new ApiError(422, 'invalid-version', `"${req.version}" is not a version: use numbers separated by dots (3.59.127.0, 1.2.2), a build number (60000) or semver (4.0.0-beta.1).`);
    }
    const releases = await this.fleet.catalog.allReleases();
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
    await this.fleet.store.releases.insert(release);
    await this.changed(release, actor, 'release.register', { channel: release.channel, mandatory: release.mandatory });
    return { ...release, clientCount: await this.clientCount(release.version) };
  }

  async uploadArtifact(ref: string, body: Readable, actor: Actor, signature?: string): Promise<ReleaseView> {
    const release = await this.fleet.catalog.resolveRelease(ref);
    // Approved bits must not change under an approval: upload while pending, or register a new release.
    if (release.state !== 'pending') {
      body.resume();
      throw new ApiError(409, 'release-not-pending', `Release ${release.version} is ${release.state}; its package can only be replaced while it is pending.`);
    }
    const { sha256, size } = await this.fleet.artifacts.save(body);
    const updated: Release = {
      ...release,
      artifact: { url: `/agent/v1/artifacts/${sha256}`, sha256, size, ...(signature ? { signature } : {}) },
    };
    await this.fleet.store.releases.update(updated);
    await this.changed(updated, actor, 'release.upload', { sha256, size });
    return this.view(updated.id);
  }

  async lifecycle(ref: string, action: LifecycleAction, actor: Actor, note?: string): Promise<ReleaseView> {
    // Download, test, and then approve: never approve bits nobody could have tested — a rollback's target included.
    if (action === 'approve') await assertApprovable(this.fleet, ref, this.requireTestDownload);
    const release = await this.fleet.catalog.resolveRelease(ref);
    const result = applyLifecycle(release, action, actor.name, this.now(), note);
    if (!result.ok) throw new ApiError(409, result.code, result.message);
    await this.fleet.store.releases.update(result.release);
    await this.changed(result.release, actor, `release.${action}`, { from: release.state, to: result.release.state, ...(note ? { note } : {}) });
    return this.view(release.id);
  }

  async rollback(ref: string, req: RollbackRequest, actor: Actor): Promise<RollbackPlanView> {
    const fleet = this.fleet;
    const { store, catalog, heavy } = fleet;
    const releases = await catalog.allReleases();
    // Where the clients came from: their history, read for a bounded sample (indexed and LIMITed).
    const bad = findRelease(ref, releases);
    // SQLite: on the heavy-read worker (no version index: a rare version's clients are found by a scan).
    const origins = !bad ? [] : store.dialect === 'sqlite' ? await heavy.rollbackOrigins(bad.version) : await store.clientHistory.rollbackOrigins(bad.version);
    const plan = planRollback(ref, releases, origins);
    if (!plan.ok) {
      throw new ApiError(plan.code === 'not-found' ? 404 : 409, plan.code, plan.message);
    }
    const affectedClients = await this.clientCount(plan.release.version);
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
      await store.releases.update({ ...(await catalog.resolveRelease(plan.release.id)), rollbackTo: target.id });
      fleet.invalidate();
    }
    if (plan.release.state === 'approved') await this.lifecycle(plan.release.id, 'revoke', actor, req.note ?? 'rolled back');
    await fleet.audit(actor, 'release.rollback', plan.release.version, {
      to: view.targetVersion, basis: plan.basis, affectedClients, ...(plan.revivesRetired ? { revivedRetired: true } : {}), ...(req.note ? { note: req.note } : {}),
    });
    return { ...view, mustApproveVersion: null, carriedOut: true };
  }
}
