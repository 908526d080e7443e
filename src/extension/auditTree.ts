// Audit view: who did what, when — policy diffs, moves, test downloads, decisions with their notes — filtered
// by who, what and when (the server filters: GET /api/v1/audit?actor=&action=&since=).
import * as vscode from 'vscode';
import type { AuditEntry } from '../core/types';
import { auditDetails, auditTitle, describeFilter, type AuditFilter } from './auditText';
import type { Connection } from './connection';
import type { Log } from './log';
import type { FleetModel } from './model';
import { relativeTime } from './presentation';
import { errorItem, MessageItem } from './treeItems';

const ICON: Record<string, string> = {
  'release.approve': 'pass', 'release.download': 'cloud-download', 'policy.update': 'settings-gear', 'client.move': 'arrow-swap',
  'release.rollback': 'history', 'release.revoke': 'circle-slash', 'release.retire': 'archive', 'release.register': 'add',
  'release.upload': 'cloud-upload', 'release.edit': 'edit',
  'rollout.halt': 'debug-stop', 'rollout.pause': 'debug-pause', 'rollout.resume': 'debug-continue', 'rollout.promote': 'arrow-circle-up',
};

export class AuditItem extends vscode.TreeItem {
  readonly kind = 'audit' as const;
  readonly details: string[];
  constructor(readonly entry: AuditEntry, groupName?: (id: string) => string | undefined) {
    const details = auditDetails(entry, groupName);
    super(auditTitle(entry), details.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    this.details = details;
    this.id = `audit:${entry.id}`;
    this.description = relativeTime(entry.at);
    this.iconPath = new vscode.ThemeIcon(ICON[entry.action] ?? 'circle-small');
    this.contextValue = `audit.${entry.action}`;
    this.tooltip = `${auditTitle(entry)}\n${new Date(entry.at).toLocaleString()}${details.length ? '\n' + details.join('\n') : ''}`;
    this.accessibilityInformation = { label: `${auditTitle(entry)}, ${this.description}` };
  }
}

export class AuditDetailItem extends vscode.TreeItem {
  readonly kind = 'auditDetail' as const;
  constructor(parent: AuditItem, i: number, text: string) {
    super(text, vscode.TreeItemCollapsibleState.None);
    this.id = `${parent.id}:${i}`;
    this.contextValue = 'auditDetail';
    this.tooltip = text;
    this.accessibilityInformation = { label: text };
  }
}

export type AuditNode = AuditItem | AuditDetailItem | MessageItem;

export class AuditTreeProvider implements vscode.TreeDataProvider<AuditNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<AuditNode | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly filterChanged = new vscode.EventEmitter<AuditFilter>();
  readonly onDidChangeFilter = this.filterChanged.event;
  private readonly disposables: vscode.Disposable[];
  filter: AuditFilter = {};
  entries: AuditEntry[] = [];
  error: string | undefined;
  private loading: Promise<void> | undefined;

  constructor(private readonly model: FleetModel, private readonly connection: Connection, private readonly log: Log, readonly limit = 100) {
    this.disposables = [
      this.changed, this.filterChanged,
      // Anything an admin did shows up as a change of releases, groups, policies or clients.
      model.onDidChangeReleases(() => void this.reload()),
      model.onDidChangeGroups(() => void this.reload()),
      model.onDidChangePolicy(() => void this.reload()),
    ];
  }

  async setFilter(f: AuditFilter): Promise<void> {
    this.filter = Object.fromEntries(Object.entries(f).filter(([, v]) => v)) as AuditFilter;
    await this.reload();
    // After the entries: the view's description never names a filter the rows do not follow yet.
    this.filterChanged.fire(this.filter);
  }

  filterText(): string {
    return describeFilter(this.filter);
  }

  /** Re-read the log with the current filter (coalesced: one request in flight, one more after it). */
  reload(): Promise<void> {
    const run = (this.loading ?? Promise.resolve()).then(() => this.load());
    this.loading = run.finally(() => { if (this.loading === run) this.loading = undefined; });
    return run;
  }

  private async load(): Promise<void> {
    const client = this.connection.client;
    if (!client) {
      this.entries = [];
      this.error = undefined;
    } else {
      try {
        this.entries = await client.audit({ ...this.filter, limit: this.limit });
        this.error = undefined;
      } catch (err) {
        this.error = (err as Error).message;
        this.log.error(`Loading the audit log: ${this.error}`);
      }
    }
    this.changed.fire();
  }

  getTreeItem(e: AuditNode): vscode.TreeItem {
    return e;
  }

  getChildren(e?: AuditNode): AuditNode[] {
    if (!e) {
      if (this.error) return [errorItem(this.error)];
      if (!this.connection.client) return [];
      if (this.entries.length === 0) return [new MessageItem(this.filterText() ? 'Nothing matches the filter.' : 'Nothing recorded yet.')];
      const groupName = (id: string) => this.model.groups.find((g) => g.id === id)?.name;
      return this.entries.map((x) => new AuditItem(x, groupName));
    }
    if (e instanceof AuditItem) return e.details.map((t, i) => new AuditDetailItem(e, i, t));
    return [];
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
