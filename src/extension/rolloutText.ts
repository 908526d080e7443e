// How the console words and marks a rollout (no vscode import: unit-tested). A halted or paused rollout marks its
// release in the Releases and Approvals trees (contextValue release.approved.halted / .paused drives the menus).
import type { RolloutProgress, RolloutState } from '../core/rollout';
import type { ReleaseView, RolloutEvent, RolloutView } from '../core/wire';
import type { IconSpec, StoppedRollout } from './presentation';

/** The release's rollout as one state: halted if any group is halted, else paused if any is paused. */
export function rolloutStateOf(r: Pick<ReleaseView, 'state' | 'rollouts'>): RolloutState | undefined {
  if (r.state !== 'approved' || !r.rollouts?.length) return undefined;
  if (r.rollouts.some((x) => x.state === 'halted')) return 'halted';
  if (r.rollouts.some((x) => x.state === 'paused')) return 'paused';
  return 'running';
}

/** Every approved release's rollouts that are halted or paused, for the status bar. */
export function stoppedRollouts(releases: readonly Pick<ReleaseView, 'version' | 'state' | 'rollouts'>[]): StoppedRollout[] {
  return releases.filter((r) => r.state === 'approved').flatMap((r) => (r.rollouts ?? [])
    .filter((x) => x.state === 'halted' || x.state === 'paused')
    .map((x) => ({ version: r.version, groupName: x.groupName, state: x.state as 'halted' | 'paused', reason: x.reason })));
}

export const ROLLOUT_ICON: Record<RolloutState, IconSpec> = {
  running: { id: 'run-all', color: 'testing.iconPassed' },
  halted: { id: 'debug-stop', color: 'testing.iconFailed' },
  paused: { id: 'debug-pause', color: 'charts.yellow' },
};

export const ROLLOUT_STATE_LABEL: Record<RolloutState, string> = {
  running: 'rolling out',
  halted: 'rollout halted',
  paused: 'rollout paused',
};

/** "4 installed · 1 downloading · 3 failed · 2 offered · 6 waiting" (zeros left out, installed always shown). */
export function progressLine(p: RolloutProgress): string {
  const parts = [`${p.installed} installed`];
  if (p.downloading) parts.push(`${p.downloading} downloading`);
  if (p.failed) parts.push(`${p.failed} failed`);
  if (p.offered) parts.push(`${p.offered} offered`);
  if (p.waiting) parts.push(`${p.waiting} waiting`);
  return parts.join(' · ');
}

/** A group's row under its release: "Pilot" — "halted · 4 installed · 3 failed". */
export function rolloutDescription(v: RolloutView): string {
  const state = v.heldByRing ? 'waiting for its ring' : ROLLOUT_STATE_LABEL[v.state];
  return `${state} · ${progressLine(v.progress)}`;
}

/** What a rollout event says in a notification. */
export function rolloutEventText(e: Pick<RolloutEvent, 'version' | 'groupName' | 'change' | 'reason' | 'by'>): string {
  switch (e.change) {
    case 'halted': return `The rollout of ${e.version} is halted in ${e.groupName}: ${e.reason}.`;
    case 'paused': return `${e.by} paused the rollout of ${e.version} in ${e.groupName}.`;
    case 'resumed': return `${e.by} resumed the rollout of ${e.version} in ${e.groupName}.`;
    case 'promoted': return `${e.version} was promoted to ${e.groupName}: ${e.reason}`;
  }
}

/** The confirmation before a resume: what it resets, said before anyone agrees to it. */
export function resumeDetail(version: string, groups: readonly RolloutView[]): string {
  const lines = groups.map((g) => `${g.groupName}: ${g.state}${g.reason ? ` — ${g.reason}` : ''}`);
  return [
    ...lines,
    '',
    `Resuming resets the failure count of ${version}: the failures so far no longer count, and the rollout halts again only if the attempts from now on fail above the group's threshold.`,
  ].join('\n');
}
