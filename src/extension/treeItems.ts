// Tree items shared by the three views. contextValue drives the menus: release.<state>, group, client.<state>.
import * as vscode from 'vscode';
import type { Client, HealthSummary } from '../core/types';
import type { GroupView, ReleaseView } from '../core/wire';
import {
  CLIENT_ICON, clientStateText, groupHealthText, HEALTH_ICON, HEALTH_LABEL, healthLines, POLICY_MODE_LABEL, RELEASE_ICON, RELEASE_STATE_LABEL, type IconSpec, plural,
  relativeTime, releaseDescription,
} from './presentation';

export function themeIcon(spec: IconSpec): vscode.ThemeIcon {
  return new vscode.ThemeIcon(spec.id, spec.color ? new vscode.ThemeColor(spec.color) : undefined);
}

export class ReleaseItem extends vscode.TreeItem {
  readonly kind = 'release' as const;
  constructor(readonly release: ReleaseView, idPrefix = 'release') {
    super(release.version, vscode.TreeItemCollapsibleState.None);
    this.id = `${idPrefix}:${release.id}`;
    this.description = releaseDescription(release);
    this.iconPath = themeIcon(RELEASE_ICON[release.state]);
    this.contextValue = `release.${release.state}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${release.version}**${release.channel === 'beta' ? ' (beta)' : ''}${release.mandatory ? ' — mandatory' : ''}\n\n`);
    md.appendMarkdown(`$(${RELEASE_ICON[release.state].id}) ${RELEASE_STATE_LABEL[release.state]} · ${plural(release.clientCount ?? 0, 'client')}\n\n`);
    if (release.notes) md.appendText(release.notes + '\n\n');
    if (release.artifact?.sha256) md.appendMarkdown(`Package: ${release.artifact.size ?? '?'} bytes, sha256 \`${release.artifact.sha256.slice(0, 16)}…\`\n\n`);
    for (const t of release.transitions ?? []) md.appendMarkdown(`- ${t.to} by ${t.by}, ${new Date(t.at).toLocaleString()}${t.note ? ` — ${t.note}` : ''}\n`);
    this.tooltip = md;
    this.accessibilityInformation = { label: `Release ${release.version}, ${this.description}` };
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
