// Client Groups view: group → its clients (with status icons), a page at a time with "Load more…"; and a Pending
// node with the clients that wait for admission (shown when some wait, or when the server admits by hand).
import * as vscode from 'vscode';
import type { Client } from '../core/types';
import type { Connection } from './connection';
import type { Log } from './log';
import type { FleetModel } from './model';
import { ClientItem, errorItem, GroupItem, LoadMoreItem, MessageItem, PendingClientItem, PendingItem } from './treeItems';

export type GroupsNode = GroupItem | ClientItem | LoadMoreItem | MessageItem | PendingItem | PendingClientItem;

/** The pseudo group id the server's events use for the Pending list. */
const PENDING_EVENTS = 'pending';

interface GroupPages {
  clients: Client[];
  nextCursor?: string;
  total?: number;
  error?: string;
}

/** Upper bound when re-reading what was already loaded after a live change. */
const MAX_RELOAD = 1000;

export class GroupsTreeProvider implements vscode.TreeDataProvider<GroupsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<GroupsNode | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly pages = new Map<string, GroupPages>();
  private readonly items = new Map<string, GroupItem>();
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly model: FleetModel, private readonly connection: Connection, private readonly log: Log) {
    this.disposables = [
      model.onDidChangeGroups(() => this.changed.fire()),
      // Each group's row carries its health.
      model.onDidChangeSummary(() => this.changed.fire()),
      model.onDidChangeClients(({ groupIds }) => this.clientsChanged(groupIds)),
    ];
  }

  pageSize(): number {
    const n = vscode.workspace.getConfiguration('updateFleet').get<number>('pageSize') ?? 50;
    return Math.max(1, Math.min(500, Math.floor(n)));
  }

  getTreeItem(e: GroupsNode): vscode.TreeItem {
    return e;
  }

  /** Loaded clients of a group (tests look at it). */
  loaded(groupId: string): readonly Client[] {
    return this.pages.get(groupId)?.clients ?? [];
  }

  async getChildren(e?: GroupsNode): Promise<GroupsNode[]> {
    if (!e) {
      if (this.model.groupsError) return [errorItem(this.model.groupsError)];
      this.items.clear();
      const groups: GroupsNode[] = this.model.groups.map((g) => {
        const item = new GroupItem(g, this.model.summary?.byGroup[g.id]);
        this.items.set(g.id, item);
        return item;
      });
      const pending = await this.pendingNode();
      return pending ? [...groups, pending] : groups;
    }
    if (e instanceof PendingItem) return e.clients.map((c) => new PendingClientItem(c));
    if (!(e instanceof GroupItem)) return [];
    const id = e.group.id;
    let p = this.pages.get(id);
    if (!p) {
      p = await this.fetch(id, this.pageSize());
      this.pages.set(id, p);
    }
    return this.render(id, p);
  }

  /** Pending clients (tests look at them). */
  pending: PendingItem | undefined;

  private async pendingNode(): Promise<PendingItem | undefined> {
    const client = this.connection.client;
    if (!client) return undefined;
    try {
      const page = await client.enrollments('pending');
      this.pending = page.total > 0 || page.admission === 'manual' ? new PendingItem(page.items, page.total) : undefined;
    } catch (err) {
      // An older server has no Pending list: the groups still show.
      this.log.error(`Loading pending clients: ${(err as Error).message}`);
      this.pending = undefined;
    }
    return this.pending;
  }

  private render(groupId: string, p: GroupPages): GroupsNode[] {
    const out: GroupsNode[] = p.clients.map((c) => new ClientItem(c));
    if (p.error) out.push(errorItem(p.error));
    else if (out.length === 0) out.push(new MessageItem('No clients in this group.'));
    if (p.nextCursor) out.push(new LoadMoreItem(groupId, p.clients.length, p.total));
    return out;
  }

  private async fetch(groupId: string, limit: number, cursor?: string): Promise<GroupPages> {
    const client = this.connection.client;
    if (!client) return { clients: [] };
    try {
      const page = await client.clients({ group: groupId, limit, cursor });
      return { clients: page.items, nextCursor: page.nextCursor, total: page.total };
    } catch (err) {
      this.log.error(`Loading clients of group ${groupId}: ${(err as Error).message}`);
      return { clients: [], error: (err as Error).message };
    }
  }

  /** The "Load more…" item: append the next page. */
  async loadMore(groupId: string): Promise<void> {
    const p = this.pages.get(groupId);
    if (!p?.nextCursor) return;
    const next = await this.fetch(groupId, this.pageSize(), p.nextCursor);
    const seen = new Set(p.clients.map((c) => c.id));
    this.pages.set(groupId, {
      clients: [...p.clients, ...next.clients.filter((c) => !seen.has(c.id))],
      nextCursor: next.error ? p.nextCursor : next.nextCursor,
      total: next.total ?? p.total,
      error: next.error,
    });
    this.fireGroup(groupId);
  }

  private fireGroup(groupId: string): void {
    const item = this.items.get(groupId);
    this.changed.fire(item ?? undefined);
  }

  /** Live update: re-read the loaded part of each affected group, keeping how far the user paged. */
  private clientsChanged(groupIds: string[]): void {
    // Pending clients come and go with enrollments, accepts and rejects: the root holds their node.
    if (groupIds.length === 0 || groupIds.includes(PENDING_EVENTS)) this.changed.fire();
    const affected = groupIds.length ? groupIds.filter((g) => this.pages.has(g)) : [...this.pages.keys()];
    for (const g of affected) {
      const had = this.pages.get(g);
      const limit = Math.min(MAX_RELOAD, Math.max(this.pageSize(), had?.clients.length ?? 0));
      void this.fetch(g, limit).then((p) => {
        this.pages.set(g, p);
        this.fireGroup(g);
      });
    }
  }

  /** Forget cached pages (sign-out, manual refresh). */
  reset(): void {
    this.pages.clear();
    this.changed.fire();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
  }
}
