// Releases view: every version, newest first, with its approval state, beta tag and how many clients run it; under
// an approved release, its rollout in each group (progress, halted or paused).
import * as vscode from 'vscode';
import type { FleetModel } from './model';
import { sortReleasesNewestFirst } from './presentation';
import { errorItem, MessageItem, ReleaseItem, RolloutItem } from './treeItems';

export type ReleasesNode = ReleaseItem | RolloutItem | MessageItem;

export class ReleasesTreeProvider implements vscode.TreeDataProvider<ReleasesNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ReleasesNode | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly model: FleetModel) {
    this.sub = model.onDidChangeReleases(() => this.changed.fire());
  }

  getTreeItem(e: ReleasesNode): vscode.TreeItem {
    return e;
  }

  getChildren(e?: ReleasesNode): ReleasesNode[] {
    if (e instanceof ReleaseItem) return (e.release.rollouts ?? []).map((g) => new RolloutItem(e.release, g));
    if (e) return [];
    if (this.model.releasesError) return [errorItem(this.model.releasesError)];
    if (this.model.releases.length === 0) return this.model.summary ? [new MessageItem('No releases registered yet.')] : [];
    return sortReleasesNewestFirst(this.model.releases).map((r) => new ReleaseItem(r, 'release', true));
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}
