// Rollouts you can see and steer: progress per release and group (from the counts), the halt recorded as a state
// of its own, Pause Rollout / Resume Rollout, and rings that promote a release by themselves. core decides
// (rolloutSteps, rolloutHalt, ringVerdict); this module reads the counts and records, writes what core says, audits
// it and tells the consoles.
import {
  compareVersions, resumeResetText, ringHolds, rolloutProgress, rolloutSteps, takesChannel, targetFor,
  type Group, type Release, type RolloutChangeResponse, type RolloutEvent, type RolloutRecord, type RolloutRequest, type RolloutState, type RolloutView,
} from '../core';
import type { Catalog } from './catalog';
import { ApiError } from './errors';
import type { EventHub } from './events';
import type { FleetCounts } from './fleetCounts';
import type { FleetStore } from './store/store';
import type { ClientCount } from './store/clientCounts';

/** Even with no client changing, rings wait for hours to pass: look again this often. */
const EVALUATE_EVERY_MS = 30_000;

/** The server's own actions (a halt, a ring's promotion) are recorded under this name. */
export const SERVER_ACTOR = 'server';

type Audit = (actor: { name: string }, action: string, target: string, details: Record<string, unknown>) => Promise<void>;

export class Rollouts {
  private evaluating: Promise<void> | null = null;
  private next: ClientCount[] | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: FleetStore,
    private readonly catalog: Catalog,
    private readonly counts: FleetCounts,
    private readonly events: EventHub,
    private readonly audit: Audit,
    private readonly now: () => Date,
  ) {
    counts.onRefresh = (rows) => this.evaluateRows(rows);
  }

  /** Evaluate on a timer too (rings wait for time to pass); unref'd so it never keeps a process alive. */
  start(): void {
    this.timer ??= setInterval(() => void this.evaluate().catch(() => { /* again at the next tick */ }), EVALUATE_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Re-read the counts and record what the rollout rules say (the timer's tick; tests call it after moving the clock). */
  evaluate(): Promise<void> {
    return this.counts.refresh();
  }

  /**
   * Record what core's rollout rules say about these counts: halts and ring promotions. One evaluation at a time;
   * counts arriving meanwhile are evaluated once more after it. Each write is conditional, so with several server
   * processes only one records (and audits) a given halt or promotion.
   */
  private evaluateRows(rows: ClientCount[]): Promise<void> {
    if (this.evaluating) {
      this.next = rows;
      return this.evaluating;
    }
    this.evaluating = (async () => {
      let current: ClientCount[] | null = rows;
      while (current) {
        this.next = null;
        await this.evaluateOnce(current);
        current = this.next;
      }
    })().finally(() => { this.evaluating = null; });
    return this.evaluating;
  }

  private async evaluateOnce(rows: ClientCount[]): Promise<void> {
    const [releases, groups, records, outcomesByVersion] = await Promise.all([
      this.catalog.allReleases(), this.catalog.allGroups(), this.counts.rolloutRecords(), this.counts.outcomesByVersion(),
    ]);
    const steps = rolloutSteps({ releases, groups, rows, records, outcomesByVersion, now: this.now() });
    let changed = false;
    for (const s of steps) {
      const at = this.now().toISOString();
      if (s.kind === 'halt') {
        const done = await this.store.rollouts.setState(s.release.id, s.group.id, ['running'], { state: 'halted', reason: s.reason, at, by: SERVER_ACTOR });
        if (!done) continue;
        changed = true;
        await this.audit({ name: SERVER_ACTOR }, 'rollout.halt', s.release.version, { group: s.group.name, groupId: s.group.id, reason: s.reason });
        this.publish(s.release, s.group, 'halted', s.reason, SERVER_ACTOR);
      } else {
        const done = await this.store.rollouts.promote(s.release.id, s.group.id, at, SERVER_ACTOR);
        if (!done) continue;
        changed = true;
        await this.audit({ name: SERVER_ACTOR }, 'rollout.promote', s.release.version, { group: s.group.name, groupId: s.group.id, ring: s.ringGroup.name, reason: s.reason });
        this.publish(s.release, s.group, 'promoted', s.reason, SERVER_ACTOR);
      }
    }
    if (changed) await this.counts.reloadRollouts();
  }

  private publish(release: Release, group: Group, change: RolloutEvent['change'], reason: string, by: string): void {
    this.events.publish({ type: 'rollout', releaseId: release.id, version: release.version, groupId: group.id, groupName: group.name, change, reason, by });
    // The release's row in the trees changes with it.
    this.events.publish({ type: 'release', releaseId: release.id, version: release.version, state: release.state });
  }

  /** The groups an approved release goes to now (their policy targets it), and groups with a record of it. */
  private rolloutGroups(release: Release, groups: readonly Group[], releases: readonly Release[], records: readonly RolloutRecord[]): Group[] {
    return groups.filter((g) => {
      if (records.some((r) => r.releaseId === release.id && r.groupId === g.id && r.state !== 'running')) return true;
      const rollouts: Record<string, RolloutRecord> = {};
      for (const r of records) if (r.groupId === g.id) rollouts[r.releaseId] = r;
      const t = targetFor(g.policy, releases, { outcomesByRelease: {}, rollouts });
      if (t.ok && t.release.id === release.id) return true;
      // Held back by a ring (newer than what the group runs towards now): shown, as waiting for it.
      const held = ringHolds(g.policy, rollouts[release.id]) && takesChannel(g.policy, release);
      return held && (!t.ok || compareVersions(release.version, t.release.version) > 0);
    });
  }

  /** Per approved release: its rollout in each group, progress from one read of the counts. */
  async views(releases: readonly Release[], rows: readonly ClientCount[]): Promise<Map<string, RolloutView[]>> {
    const [groups, records] = await Promise.all([this.catalog.allGroups(), this.counts.rolloutRecords()]);
    const out = new Map<string, RolloutView[]>();
    for (const release of releases) {
      if (release.state !== 'approved') continue;
      const views: RolloutView[] = [];
      for (const g of this.rolloutGroups(release, groups, releases, records)) {
        const rec = records.find((r) => r.releaseId === release.id && r.groupId === g.id);
        views.push({
          groupId: g.id,
          groupName: g.name,
          state: rec?.state ?? 'running',
          reason: rec?.reason ?? null,
          at: rec?.at ?? null,
          by: rec?.by ?? null,
          progress: rolloutProgress(rows, release.version, g.id),
          heldByRing: g.policy.mode === 'auto' && !!g.policy.ring && !rec?.promotedAt,
          promotedAt: rec?.promotedAt ?? null,
        });
      }
      out.set(release.id, views);
    }
    return out;
  }

  /** Pause Rollout (an admin stops it) or Resume Rollout (it runs again, its failure count reset). */
  async change(ref: string, to: 'paused' | 'running', req: RolloutRequest, actor: { name: string }): Promise<RolloutChangeResponse> {
    const release = await this.catalog.resolveRelease(ref);
    if (release.state !== 'approved') {
      throw new ApiError(409, 'not-rolling-out', `Release ${release.version} is ${release.state}; only an approved release has a rollout to ${to === 'paused' ? 'pause' : 'resume'}.`);
    }
    const [groups, releases, records, outcomes] = await Promise.all([
      this.catalog.allGroups(), this.catalog.allReleases(), this.counts.rolloutRecords(), this.counts.outcomesByVersion(),
    ]);
    let targets: Group[];
    if (req.groupId) {
      const g = await this.catalog.resolveGroup(req.groupId).catch(() => { throw new ApiError(422, 'unknown-group', `No group "${req.groupId}".`); });
      targets = [g];
    } else {
      targets = this.rolloutGroups(release, groups, releases, records);
      if (targets.length === 0) throw new ApiError(409, 'not-rolling-out', `No group's policy points at ${release.version}: there is no rollout to ${to === 'paused' ? 'pause' : 'resume'}.`);
    }
    const from: RolloutState[] = to === 'paused' ? ['running', 'halted'] : ['halted', 'paused'];
    const o = outcomes.get(release.version);
    const changed: RolloutChangeResponse['changed'] = [];
    const messages: string[] = [];
    for (const g of targets) {
      const at = this.now().toISOString();
      const reset = to === 'running' ? resumeResetText(release.version, o, g.policy.failureThresholdPercent) : null;
      const reason = to === 'paused' ? req.note || null : reset;
      const done = await this.store.rollouts.setState(release.id, g.id, from, {
        state: to, reason, at, by: actor.name, ...(to === 'running' ? { base: { attempted: o?.attempted ?? 0, failed: o?.failed ?? 0 } } : {}),
      });
      if (!done) continue;
      changed.push({ groupId: g.id, groupName: g.name });
      if (reset) messages.push(`${g.name}: ${reset}`);
      await this.audit(actor, to === 'paused' ? 'rollout.pause' : 'rollout.resume', release.version, {
        group: g.name, groupId: g.id, ...(req.note ? { note: req.note } : {}),
        ...(to === 'running' ? { reset: { attempted: o?.attempted ?? 0, failed: o?.failed ?? 0 }, resets: reset } : {}),
      });
      this.publish(release, g, to === 'paused' ? 'paused' : 'resumed', reason ?? `paused by ${actor.name}`, actor.name);
    }
    if (changed.length === 0) {
      throw new ApiError(409, to === 'paused' ? 'already-paused' : 'not-halted', to === 'paused'
        ? `The rollout of ${release.version} is already paused${req.groupId ? ' in that group' : ''}.`
        : `The rollout of ${release.version} is neither halted nor paused${req.groupId ? ' in that group' : ''}: nothing to resume.`);
    }
    await this.counts.reloadRollouts();
    const names = changed.map((c) => c.groupName).join(', ');
    const message = to === 'paused'
      ? `The rollout of ${release.version} is paused in ${names}: no client there is offered it until it is resumed.`
      : `The rollout of ${release.version} is resumed in ${names}. ${messages.length === 1 ? messages[0].slice(messages[0].indexOf(': ') + 2) : messages.join(' ')}`;
    return { release: release.version, changed, message };
  }

  /** Releases approved while a group's ring was unset are not held back by a ring set later. */
  async ringSet(group: Group, before: Group['policy'] | null): Promise<void> {
    if (!group.policy.ring || (before?.ring && before.ring.groupId === group.policy.ring.groupId)) return;
    const at = this.now().toISOString();
    for (const r of await this.catalog.allReleases()) {
      if (r.state === 'approved') await this.store.rollouts.promote(r.id, group.id, at, 'policy');
    }
    await this.counts.reloadRollouts();
  }
}
