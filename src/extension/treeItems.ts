// Tree items shared by the three views. contextValue drives the menus: release.<state>, group, client.<state>,
// pending (the Pending node) and pendingClient (a client waiting for admission).
import * as vscode from 'vscode';
import type { Client, HealthSummary } from '../core/types';
import type { EnrollmentView, GroupView, ReleaseView, RolloutView } from '../core/wire';
import {
  CLIENT_ICON, clientStateText, groupHealthText, HEALTH_ICON, HEALTH_LABEL, healthLines, POLICY_MODE_LABEL, RELEASE_ICON, RELEASE_STATE_LABEL, type IconSpec, plural,
  relativeTime, releaseDescription,
} from './presentation';
import { progressLine, ROLLOUT_ICON, ROLLOUT_STATE_LABEL, rolloutDescription, rolloutStateOf } from './rolloutText';

export function themeIcon(spec: IconSpec): vscode.ThemeIcon {
  return new vscode.ThemeIcon(spec.id, spec.color ? new vscode.ThemeColor(spec.color) : undefined);
}

export class ReleaseItem extends vscode.TreeItem {
  readonly kind = 'release' as const;
  /** `withRollouts`: the Releases view lists the release's rollout per group under it. */
  constructor(readonly release: ReleaseView, idPrefix = 'release', withRollouts = false) {
    super(release.version, withRollouts && release.rollouts?.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    this.id = `${idPrefix}:${release.id}`;
    const rollout = rolloutStateOf(release);
    const stopped = rollout === 'halted' || rollout === 'paused';
    this.description = releaseDescription(release) + (stopped ? ` · ${ROLLOUT_STATE_LABEL[rollout]}` : '');
    this.iconPath = themeIcon(stopped ? ROLLOUT_ICON[rollout] : RELEASE_ICON[release.state]);
    // release.approved.halted / release.approved.paused: Resume Rollout shows; release.approved: Pause Rollout.
    this.contextValue = `release.${release.state}${stopped ? `.${rollout}` : ''}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${release.version}**${release.channel === 'beta' ? ' (beta)' : ''}${release.mandatory ? ' — mandatory' : ''}\n\n`);
    md.appendMarkdown(`$(${RELEASE_ICON[release.state].id}) ${RELEASE_STATE_LABEL[release.state]} · ${plural(release.clientCount ?? 0, 'client')}\n\n`);
    if (release.notes) md.appendText(release.notes + '\n\n');
    if (release.artifact?.sha256) md.appendMarkdown(`Package: ${release.artifact.size ?? '?'} bytes, sha256 \`${release.artifact.sha256.slice(0, 16)}…\`\n\n`);
    for (const t of release.transitions ?? []) md.appendMarkdown(`- ${t.to} by ${t.by}, ${new Date(t.at).toLocaleString()}${t.note ? ` — ${t.note}` : ''}\n`);
    for (const g of release.rollouts ?? []) md.appendMarkdown(`\n$(${ROLLOUT_ICON[g.state].id}) ${g.groupName}: ${ROLLOUT_STATE_LABEL[g.state]}${g.reason ? ` — ${g.reason}` : ''} (${progressLine(g.progress)})\n`);
    this.tooltip = md;
    this.accessibilityInformation = { label: `Release ${release.version}, ${this.description}` };
  }
}

/** One group's rollout of a release, under the release in the Releases view. contextValue rollout.<state>. */
export class RolloutItem extends vscode.TreeItem {
  readonly kind = 'rollout' as const;
  constructor(readonly release: ReleaseView, readonly rollout: RolloutView) {
    super(rollout.groupName, vscode.TreeItemCollapsibleState.None);
    this.id = `rollout:${release.id}:${rollout.groupId}`;
    this.description = rolloutDescription(rollout);
    this.iconPath = themeIcon(rollout.heldByRing ? { id: 'watch' } : ROLLOUT_ICON[rollout.state]);
    this.contextValue = `rollout.${rollout.state}`;
    this.tooltip = `${release.version} in ${rollout.groupName}: ${ROLLOUT_STATE_LABEL[rollout.state]}${rollout.reason ? ` — ${rollout.reason}` : ''}` +
      `${rollout.at && rollout.by ? ` (${rollout.by}, ${new Date(rollout.at).toLocaleString()})` : ''}\n${progressLine(rollout.progress)}`;
    this.accessibilityInformation = { label: `Rollout of ${release.version} in ${rollout.groupName}, ${this.description}` };
  }
}

export class GroupItem extends vscode.TreeItem {
  readonly kind = 'group' as const;
  constructor(readonly group: GroupView, health?: HealthSummary) {
    super(group.name, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `group:${group.id}`;
    const mode = group.policy ? POLICY_MODE_LABEL[group.policy.mode] + (group.policy.mode === 'pinned' ? ` ${group.policy.pinnedVersion ?? ''}` : '') : '';
    this.description = [plural(group.clientCount ?? 0, 'client'), groupHealthText(health), mode].filter(Boolean).join(' · ');
    this.iconPath = new vscode.ThemeIcon('organization');
    this.contextValue = 'group';
    const md = new vscode.MarkdownString(`**${group.name}**\n\n${group.description ?? ''}\n\nPolicy: ${mode}, ${group.policy?.delivery ?? ''}`);
    if (health && health.total > 0) md.appendMarkdown('\n\n' + healthLines(health).map((l) => `- ${l}`).join('\n'));
    this.tooltip = md;
  }
}

export class ClientItem extends vscode.TreeItem {
  readonly kind = 'client' as const;
  constructor(readonly client: Client) {
    super(client.name || client.computer, vscode.TreeItemCollapsibleState.None);
    this.id = `client:${client.id}`;
    this.description = `${client.version} · ${clientStateText(client)}`;
    const notCurrent = client.state === 'up-to-date' && client.health && client.health !== 'up-to-date';
    this.iconPath = themeIcon(notCurrent ? HEALTH_ICON[client.health!] : CLIENT_ICON[client.state] ?? CLIENT_ICON.unknown);
    this.contextValue = `client.${client.state}`;
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${client.name}** — ${client.computer} (${client.ip})\n\n`);
    md.appendMarkdown(`User: ${client.user || '—'}  \nVersion: ${client.version}${client.targetVersion ? ` → ${client.targetVersion}` : ''}  \n`);
    md.appendMarkdown(`State: ${clientStateText(client)}${client.reason ? ` — ${client.reason}` : ''}  \n`);
    if (client.health) md.appendMarkdown(`Health: ${HEALTH_LABEL[client.health]}${client.healthReason ? ` — ${client.healthReason}` : ''}  \n`);
    md.appendMarkdown(`Last seen: ${relativeTime(client.lastSeen)}`);
    this.tooltip = md;
    this.command = { command: 'updateFleet.showClientStatus', title: 'Show Client Status', arguments: [{ q: client.computer, selectId: client.id }] };
  }
}

/** The Pending node of Client Groups: clients that enrolled and wait for an administrator (--admission manual). */
export class PendingItem extends vscode.TreeItem {
  readonly kind = 'pending' as const;
  constructor(readonly clients: readonly EnrollmentView[], total: number) {
    super('Pending', total > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    this.id = 'pending';
    this.description = total > 0 ? `${plural(total, 'client')} waiting for admission` : 'none waiting';
    this.iconPath = new vscode.ThemeIcon('person-add', total > 0 ? new vscode.ThemeColor('list.warningForeground') : undefined);
    this.contextValue = 'pending';
    this.tooltip = 'Clients that enrolled and wait for an administrator: Accept lets one check in, Reject refuses it.';
  }
}

export class PendingClientItem extends vscode.TreeItem {
  readonly kind = 'pendingClient' as const;
  constructor(readonly enrollment: EnrollmentView) {
    super(enrollment.name || enrollment.computer || enrollment.clientId, vscode.TreeItemCollapsibleState.None);
    this.id = `pending:${enrollment.clientId}`;
    this.description = `${enrollment.computer} · ${enrollment.address} · ${relativeTime(enrollment.enrolledAt)}`;
    this.iconPath = new vscode.ThemeIcon('question');
    this.contextValue = 'pendingClient';
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${enrollment.name}** — ${enrollment.computer}\n\n`);
    md.appendMarkdown(`Client id: \`${enrollment.clientId}\`  \nReported IP: ${enrollment.ip || '—'}  \nConnected from: ${enrollment.address}  \n`);
    md.appendMarkdown(`User: ${enrollment.user || '—'}  \nEnrolled: ${relativeTime(enrollment.enrolledAt)}`);
    this.tooltip = md;
    this.accessibilityInformation = { label: `Pending client ${this.label as string}, connected from ${enrollment.address}` };
  }
}

export class LoadMoreItem extends vscode.TreeItem {
  readonly kind = 'loadMore' as const;
  constructor(readonly groupId: string, loaded: number, total: number | undefined) {
    super('Load more…', vscode.TreeItemCollapsibleState.None);
    this.id = `more:${groupId}`;
    this.description = total !== undefined ? `${loaded.toLocaleString('en-US')} of ${total.toLocaleString('en-US')}` : `${loaded.toLocaleString('en-US')} shown`;
    this.iconPath = new vscode.ThemeIcon('ellipsis');
    this.contextValue = 'loadMore';
    this.command = { command: 'updateFleet.loadMoreClients', title: 'Load more…', arguments: [groupId] };
  }
}

export class MessageItem extends vscode.TreeItem {
  readonly kind = 'message' as const;
  constructor(label: string, icon = 'info', tooltip?: string) {
    super(label, vscode.TreeItemCollapsibleState.None);
    this.iconPath = new vscode.ThemeIcon(icon);
    this.tooltip = tooltip ?? label;
    this.contextValue = 'message';
  }
}

export function errorItem(message: string): MessageItem {
  const item = new MessageItem(message, 'warning');
  item.command = { command: 'updateFleet.showLog', title: 'Show Log' };
  return item;
}
