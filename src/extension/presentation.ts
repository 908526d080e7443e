// How fleet things look: labels, icon ids and theme colours, the status-bar line. No vscode import, so the
// words can be unit-tested (test/unit/extension-presentation.test.ts) and shared with the webviews.
import { compareVersions } from '../core/version';
import { healthLine } from '../core/summary';
import type { ClientHealth, ClientState, HealthSummary, PolicyMode, ReleaseState, WaitingReason } from '../core/types';

export interface IconSpec {
  id: string;
  color?: string;
}

export const RELEASE_STATE_LABEL: Record<ReleaseState, string> = {
  pending: 'Download, test, and then approve',
  approved: 'Approved',
  retired: 'No longer supported',
  revoked: 'Revoked',
};

export const RELEASE_ICON: Record<ReleaseState, IconSpec> = {
  pending: { id: 'clock', color: 'charts.yellow' },
  approved: { id: 'pass-filled', color: 'testing.iconPassed' },
  retired: { id: 'archive', color: 'disabledForeground' },
  revoked: { id: 'error', color: 'testing.iconFailed' },
};

export const CLIENT_STATE_LABEL: Record<ClientState, string> = {
  'up-to-date': 'Up to date',
  available: 'Update available',
  downloading: 'Downloading',
  staged: 'Staged',
  'installed-pending-restart': 'Installed, restart pending',
  deferred: 'Deferred',
  declined: 'Declined',
  failed: 'Failed',
  'manual-required': 'Manual install required',
  waiting: 'Waiting',
  unknown: 'Unknown',
};

export const CLIENT_ICON: Record<ClientState, IconSpec> = {
  'up-to-date': { id: 'pass', color: 'testing.iconPassed' },
  available: { id: 'arrow-circle-up', color: 'charts.blue' },
  downloading: { id: 'cloud-download', color: 'charts.blue' },
  staged: { id: 'package', color: 'charts.blue' },
  'installed-pending-restart': { id: 'debug-restart', color: 'charts.yellow' },
  deferred: { id: 'clock', color: 'charts.yellow' },
  declined: { id: 'circle-slash', color: 'charts.orange' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  'manual-required': { id: 'tools', color: 'charts.orange' },
  waiting: { id: 'watch', color: 'charts.yellow' },
  unknown: { id: 'question' },
};

/** Health, as the status bar's tooltip and the Client Groups tree name it. */
export const HEALTH_LABEL: Record<ClientHealth, string> = {
  'up-to-date': 'Up to date',
  waiting: 'Waiting',
  behind: 'Behind',
  failed: 'Failed',
  'manual-required': 'Manual install required',
  'not-seen': 'Not seen',
};

/** The icon of a client whose stored "up to date" is not current today. */
export const HEALTH_ICON: Record<ClientHealth, IconSpec> = {
  'up-to-date': { id: 'pass', color: 'testing.iconPassed' },
  waiting: { id: 'watch', color: 'charts.yellow' },
  behind: { id: 'warning', color: 'charts.orange' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  'manual-required': { id: 'tools', color: 'charts.orange' },
  'not-seen': { id: 'eye-closed', color: 'disabledForeground' },
};

const WAITING_LABEL: Record<WaitingReason, string> = {
  rollout: 'rollout percentage',
  window: 'distribution window',
  deferral: 'reminded later',
  halted: 'rollout halted',
};

/** "Up to date: 97 (97% of 100 seen)", "Waiting: 12 (rollout percentage 8, distribution window 4)", … one per line. */
export function healthLines(s: HealthSummary): string[] {
  const lines: string[] = [];
  for (const [h, label] of Object.entries(HEALTH_LABEL) as [ClientHealth, string][]) {
    const n = s.byHealth?.[h] ?? 0;
    if (h === 'up-to-date') {
      lines.push(`${label}: ${n.toLocaleString('en-US')} (${s.percentUpToDate}% of ${s.seen.toLocaleString('en-US')} seen)`);
      continue;
    }
    if (!n) continue;
    if (h === 'waiting') {
      const why = (Object.entries(s.waitingFor ?? {}) as [WaitingReason, number][]).filter(([, k]) => k > 0).map(([r, k]) => `${WAITING_LABEL[r]} ${k.toLocaleString('en-US')}`);
      lines.push(`${label}: ${n.toLocaleString('en-US')}${why.length ? ` (${why.join(', ')})` : ''}`);
    } else if (h === 'not-seen') {
      lines.push(`${label} (no check-in for ${s.notSeenDays} days): ${n.toLocaleString('en-US')}`);
    } else lines.push(`${label}: ${n.toLocaleString('en-US')}`);
  }
  return lines;
}

/** A group's health in its tree row: "83% up to date", "no clients seen". */
export function groupHealthText(s: HealthSummary | undefined): string {
  if (!s || s.total === 0) return '';
  if (s.seen === 0) return 'no clients seen';
  const pctText = Number.isInteger(s.percentUpToDate) ? `${s.percentUpToDate}` : s.percentUpToDate.toFixed(1);
  return `${pctText}% up to date`;
}

export const POLICY_MODE_LABEL: Record<PolicyMode, string> = {
  none: 'No Upgrade',
  auto: 'Auto Upgrade',
  pinned: 'Only upgrade to',
};

export function plural(n: number, one: string, many = one + 's'): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/**
 * A client's state in words. An update "available" to a version below the one installed is a rollback on its
 * way (seed 000), not an update.
 */
export function clientStateText(c: { state: ClientState; version: string; targetVersion: string | null; health?: ClientHealth }): string {
  // What the agent last said is not the whole truth: stored "up to date" on a retired version is behind today.
  if (c.state === 'up-to-date' && c.health && c.health !== 'up-to-date') return HEALTH_LABEL[c.health];
  if (c.health === 'not-seen') return `${stateText(c)} (not seen)`;
  return stateText(c);
}

function stateText(c: { state: ClientState; version: string; targetVersion: string | null }): string {
  if ((c.state === 'available' || c.state === 'downloading' || c.state === 'staged') && c.targetVersion && c.targetVersion !== c.version) {
    try {
      if (compareVersions(c.targetVersion, c.version) < 0) return c.state === 'available' ? 'Rolling back' : `Rolling back: ${CLIENT_STATE_LABEL[c.state].toLowerCase()}`;
    } catch {
      // not comparable: say what the state says
    }
  }
  return CLIENT_STATE_LABEL[c.state] ?? c.state;
}

/** "beta · 120 clients" — the tree description of a release. */
export function releaseDescription(r: { channel: string; clientCount: number; state: ReleaseState; artifact?: { sha256?: string } }): string {
  const parts: string[] = [];
  if (r.channel === 'beta') parts.push('beta');
  parts.push(plural(r.clientCount ?? 0, 'client'));
  // Nothing to test yet: the server refuses to approve it until the package is uploaded.
  if (r.state === 'pending' && r.artifact && !r.artifact.sha256) parts.push('no package');
  parts.push(RELEASE_STATE_LABEL[r.state]);
  return parts.join(' · ');
}

/** Newest first; ties (should not happen) keep server order. */
export function sortReleasesNewestFirst<T extends { version: string }>(releases: readonly T[]): T[] {
  return [...releases].sort((a, b) => {
    try {
      return compareVersions(b.version, a.version);
    } catch {
      return b.version.localeCompare(a.version);
    }
  });
}

/** "3 minutes ago", "2 days ago". */
export function relativeTime(iso: string, now: Date = new Date()): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  const s = Math.round((now.getTime() - t) / 1000);
  if (s < 0) return 'just now';
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} minute${m === 1 ? '' : 's'} ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} hour${h === 1 ? '' : 's'} ago`;
  const d = Math.round(h / 24);
  return `${d} day${d === 1 ? '' : 's'} ago`;
}

export interface StatusBarView {
  text: string;
  warning: boolean;
  tooltip: string;
}

/** A release's rollout in one group that waits for someone: halted by the failure rule, or paused by an admin. */
export interface StoppedRollout {
  version: string;
  groupName: string;
  state: 'halted' | 'paused';
  reason: string | null;
}

/**
 * The status-bar item: `$(pulse) 97% up to date · 3 failed`, a warning above the failure threshold. A halted
 * rollout (a release stopped in a group because too many of its clients failed) is shown beside the health as a
 * warning too, since it waits for an operator; a paused one is named in the tooltip only (someone paused it on
 * purpose).
 */
export function statusBarView(s: HealthSummary | undefined, failureThresholdPercent: number, who?: { name: string; role: string }, stopped: readonly StoppedRollout[] = []): StatusBarView {
  if (!s) return { text: '$(pulse) Update Fleet', warning: false, tooltip: 'Update Fleet: no data yet' };
  const halted = stopped.filter((r) => r.state === 'halted');
  const warning = (s.total > 0 && s.percentFailed > failureThresholdPercent) || halted.length > 0;
  const lines = [`Update Fleet: ${plural(s.total, 'client')}`, ...(who ? [signedInAs(who)] : []), ''];
  // The share that is current among the clients seen; the rest, by what keeps each from it.
  lines.push(...healthLines(s));
  lines.push('');
  lines.push(`${s.percentFailed}% of the clients seen failed (warning above ${failureThresholdPercent}%)`);
  for (const r of stopped) lines.push(`Rollout of ${r.version} ${r.state} in ${r.groupName}${r.reason ? `: ${r.reason}` : ''}`);
  if (stopped.length) lines.push('Resume or roll back from the Approvals view.');
  lines.push('Click to show the clients that failed to upgrade.');
  const haltedText = halted.length ? ` · $(debug-stop) ${plural(halted.length, 'rollout')} halted` : '';
  return { text: `$(pulse) ${healthLine(s)}${haltedText}`, warning, tooltip: lines.join('\n') };
}

/** "Signed in as ops (operator: may approve, revoke, retire and roll back)". */
export function signedInAs(who: { name: string; role: string }): string {
  const may: Record<string, string> = {
    viewer: 'may look, not act',
    operator: 'may approve, revoke, retire and roll back; not publish or edit policies',
    admin: 'may do everything',
  };
  return `Signed in as ${who.name} (${who.role}${may[who.role] ? `: ${may[who.role]}` : ''})`;
}

/** viewer < operator < admin. A server without whoami (no role known): the server decides. */
const ROLE_RANK = { viewer: 1, operator: 2, admin: 3 } as const;
export function roleAllows(who: { name?: string; role: keyof typeof ROLE_RANK } | undefined, min: keyof typeof ROLE_RANK): boolean {
  return !who || ROLE_RANK[who.role] >= ROLE_RANK[min];
}

/** The status bar while the server cannot be reached. */
export function offlineStatusView(url: string, message: string): StatusBarView {
  return {
    text: '$(debug-disconnect) Update Fleet: offline',
    warning: true,
    tooltip: `Update Fleet: offline — ${message}\nThe views show the last known state of ${url}. The console reconnects by itself.`,
  };
}

/** The words a viewer (or an operator) sees BEFORE any confirmation, when the role does not allow an action. */
export function roleRefusal(action: string, who: { name: string; role: string }, needs: 'operator' | 'admin'): string {
  return `${action} needs the ${needs} role; you are signed in as ${who.name} with the ${who.role} role. Ask an ${needs} or sign in with another token.`;
}

/** clients-2025-03-04.csv, failed-upgrades-2025-03-04.csv */
export function defaultReportName(state: ClientState | '' | undefined, now = new Date()): string {
  const day = now.toISOString().slice(0, 10);
  return state === 'failed' ? `failed-upgrades-${day}.csv` : state ? `clients-${state}-${day}.csv` : `clients-${day}.csv`;
}
