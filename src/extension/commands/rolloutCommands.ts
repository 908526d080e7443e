// Pause Rollout… / Resume Rollout…: on a release (every group it goes to) or on one group's rollout under it. Resume
// says what it resets before anyone agrees, and shows what the server reset after.
import type { ReleaseView, RolloutChangeResponse, RolloutView } from '../../core/wire';
import { resumeDetail, rolloutStateOf } from '../rolloutText';
import { requireRole, type FleetServices } from '../services';
import { askNote } from './releaseCommands';
import { resolveRelease } from './pickers';

/** A tree item ({release, rollout?}), {releaseId, groupId?} from a notification, a release id or version, or a pick. */
async function target(svc: FleetServices, arg: unknown, title: string, wanted: (r: ReleaseView) => boolean): Promise<{ release: ReleaseView; group?: RolloutView } | undefined> {
  const a = (typeof arg === 'object' && arg !== null ? arg : {}) as { release?: ReleaseView; rollout?: RolloutView; releaseId?: string; groupId?: string };
  if (!a.release && !a.releaseId && typeof arg !== 'string') {
    const all = await requireRole(svc, 'operator', title).releases();
    if (!all.some(wanted)) {
      svc.ui.info(title === 'Resume Rollout' ? 'No rollout is halted or paused.' : 'No approved release is rolling out.');
      return undefined;
    }
  }
  const release = await resolveRelease(svc, a.release ? { release: a.release } : a.releaseId ?? arg, ['approved'], title);
  if (!release) return undefined;
  // The tree's copy may be old: act on what the server says now.
  const fresh = await requireRole(svc, 'operator', title).release(release.id).catch(() => release);
  const groupId = a.rollout?.groupId ?? a.groupId;
  const group = groupId ? fresh.rollouts?.find((g) => g.groupId === groupId) : undefined;
  return { release: fresh, ...(group ? { group } : {}) };
}

export async function pauseRollout(svc: FleetServices, arg?: unknown): Promise<RolloutChangeResponse | undefined> {
  const client = requireRole(svc, 'operator', 'Pausing a rollout');
  const t = await target(svc, arg, 'Pause Rollout', (r) => rolloutStateOf(r) === 'running' || rolloutStateOf(r) === 'halted');
  if (!t) return undefined;
  const where = t.group ? ` in ${t.group.groupName}` : '';
  const ok = await svc.ui.confirm(`Pause the rollout of ${t.release.version}${where}?`, `No client${where ? ` of ${t.group!.groupName}` : ''} is offered ${t.release.version} until the rollout is resumed. Clients that have it keep it.`, ['Pause']);
  if (ok !== 'Pause') return undefined;
  const note = await askNote(svc, `Pause the rollout of ${t.release.version}`);
  if (note === undefined) return undefined;
  const done = await svc.ui.progress(`Pausing the rollout of ${t.release.version}…`, () =>
    client.pauseRollout(t.release.id, { ...(t.group ? { groupId: t.group.groupId } : {}), ...(note ? { note } : {}) }));
  svc.log.info(done.message);
  await svc.model.reload();
  svc.ui.info(done.message);
  return done;
}

export async function resumeRollout(svc: FleetServices, arg?: unknown): Promise<RolloutChangeResponse | undefined> {
  const client = requireRole(svc, 'operator', 'Resuming a rollout');
  const t = await target(svc, arg, 'Resume Rollout', (r) => rolloutStateOf(r) === 'halted' || rolloutStateOf(r) === 'paused');
  if (!t) return undefined;
  const stopped = t.group ? [t.group] : (t.release.rollouts ?? []).filter((g) => g.state !== 'running');
  const where = t.group ? ` in ${t.group.groupName}` : '';
  const ok = await svc.ui.confirm(`Resume the rollout of ${t.release.version}${where}?`, resumeDetail(t.release.version, stopped), ['Resume']);
  if (ok !== 'Resume') return undefined;
  const note = await askNote(svc, `Resume the rollout of ${t.release.version}`);
  if (note === undefined) return undefined;
  const done = await svc.ui.progress(`Resuming the rollout of ${t.release.version}…`, () =>
    client.resumeRollout(t.release.id, { ...(t.group ? { groupId: t.group.groupId } : {}), ...(note ? { note } : {}) }));
  svc.log.info(done.message);
  await svc.model.reload();
  svc.ui.info(done.message);
  return done;
}
