// Approvals view: halted rollouts (when there are any), what waits for approval, and what was recently decided, by
// whom and when.
import * as vscode from 'vscode';
import type { ReleaseTransition } from '../core/types';
import type { ReleaseView } from '../core/wire';
import type { FleetModel } from './model';
import { relativeTime, sortReleasesNewestFirst } from './presentation';
import { errorItem, MessageItem, ReleaseItem, themeIcon } from './treeItems';
import { RELEASE_ICON } from './presentation';
import { ROLLOUT_ICON, rolloutStateOf } from './rolloutText';

export const RECENT_DECISIONS = 20;

export class SectionItem extends vscode.TreeItem {
  readonly kind = 'section' as const;
  constructor(readonly section: 'pending' | 'decided' | 'stopped', label: string, count: number) {
    super(label, count > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `section:${section}`;
    this.description = String(count);
    this.contextValue = `section.${section}`;
    this.iconPath = section === 'stopped' ? themeIcon(ROLLOUT_ICON.halted) : new vscode.ThemeIcon(section === 'pending' ? 'inbox' : 'history');
  }
}

export class DecisionItem extends vscode.TreeItem {
  readonly kind = 'decision' as const;
  constructor(readonly release: ReleaseView, readonly transition: ReleaseTransition) {
    super(`${release.version} ${transition.to}`, vscode.TreeItemCollapsibleState.None);
    this.id = `decision:${release.id}:${transition.at}:${transition.to}`;
    this.description = `by ${transition.by} · ${relativeTime(transition.at)}`;
    this.iconPath = themeIcon(RELEASE_ICON[transition.to]);
    this.contextValue = 'decision';
    this.tooltip = `${release.version}: ${transition.from ?? 'registered'} → ${transition.to} by ${transition.by} at ${new Date(transition.at).toLocaleString()}${transition.note ? `\n${transition.note}` : ''}`;
  }
}

export type ApprovalsNode = SectionItem | ReleaseItem | DecisionItem | MessageItem;

/** Lifecycle decisions (not registrations), newest first. */
export function recentDecisions(releases: readonly ReleaseView[], limit = RECENT_DECISIONS): { release: ReleaseView; transition: ReleaseTransition }[] {
  const all = releases.flatMap((release) => (release.transitions ?? []).filter((t) => t.from !== null).map((transition) => ({ release, transition })));
  all.sort((a, b) => Date.parse(b.transition.at) - Date.parse(a.transition.at));
  return all.slice(0, limit);
}

export class ApprovalsTreeProvider implements vscode.TreeDataProvider<ApprovalsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ApprovalsNode | undefined | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly sub: vscode.Disposable;

  constructor(private readonly model: FleetModel) {
    this.sub = model.onDidChangeReleases(() => this.changed.fire());
  }

  getTreeItem(e: ApprovalsNode): vscode.TreeItem {
    return e;
  }

  private pending(): ReleaseView[] {
    return sortReleasesNewestFirst(this.model.releases.filter((r) => r.state === 'pending'));
  }

  /** Approved releases whose rollout is halted or paused somewhere: they wait for a decision too. */
  private stopped(): ReleaseView[] {
    return sortReleasesNewestFirst(this.model.releases.filter((r) => { const s = rolloutStateOf(r); return s === 'halted' || s === 'paused'; }));
  }

  getChildren(e?: ApprovalsNode): ApprovalsNode[] {
    if (!e) {
      if (this.model.releasesError) return [errorItem(this.model.releasesError)];
      if (this.model.releases.length === 0 && !this.model.summary) return [];
      const stopped = this.stopped();
      return [
        ...(stopped.length ? [new SectionItem('stopped', 'Halted rollouts', stopped.length)] : []),
        new SectionItem('pending', 'Waiting for approval', this.pending().length),
        new SectionItem('decided', 'Recently decided', recentDecisions(this.model.releases).length),
      ];
    }
    if (e instanceof SectionItem) {
      if (e.section === 'stopped') return this.stopped().map((r) => new ReleaseItem(r, 'stopped'));
      if (e.section === 'pending') {
        const p = this.pending();
        return p.length ? p.map((r) => new ReleaseItem(r, 'approval')) : [new MessageItem('Nothing waits for approval.', 'check')];
      }
      const d = recentDecisions(this.model.releases);
      return d.length ? d.map((x) => new DecisionItem(x.release, x.transition)) : [new MessageItem('No decisions yet.')];
    }
    return [];
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}
