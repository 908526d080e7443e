// Fleet health at a glance: `$(pulse) 97% up to date · 3 failed`, and `· $(debug-stop) 1 rollout halted` when one
// is; warning background above the threshold or while a rollout is halted; click → Client Status filtered to failures.
import * as vscode from 'vscode';
import type { Connection } from './connection';
import type { FleetModel } from './model';
import { offlineStatusView, statusBarView } from './presentation';
import { stoppedRollouts } from './rolloutText';

export class FleetStatusBar implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly model: FleetModel, private readonly connection: Connection) {
    this.item = vscode.window.createStatusBarItem('updateFleet.health', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Update Fleet Health';
    this.item.command = { command: 'updateFleet.showClientStatus', title: 'Show failed clients', arguments: [{ state: 'failed' }] };
    this.disposables = [
      this.item,
      model.onDidChangeSummary(() => this.update()),
      // A rollout halts or resumes: the releases are reloaded.
      model.onDidChangeReleases(() => this.update()),
      connection.onDidChange(() => this.update()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('updateFleet.failureThresholdPercent')) this.update();
      }),
    ];
    this.update();
  }

  threshold(): number {
    return vscode.workspace.getConfiguration('updateFleet').get<number>('failureThresholdPercent') ?? 5;
  }

  update(): void {
    const s = this.connection.state;
    if (s.kind === 'unreachable') {
      // Honest: the figures below would be stale; say so, and come back by itself (the connection keeps probing).
      const view = offlineStatusView(s.url, s.message);
      this.item.text = view.text;
      this.item.tooltip = view.tooltip;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      this.item.accessibilityInformation = { label: 'Update Fleet: offline' };
      this.item.command = { command: 'updateFleet.showLog', title: 'Show Log' };
      this.item.show();
      return;
    }
    this.item.command = { command: 'updateFleet.showClientStatus', title: 'Show failed clients', arguments: [{ state: 'failed' }] };
    if (s.kind !== 'signed-in' || !this.model.summary) {
      this.item.hide();
      return;
    }
    const view = statusBarView(this.model.summary.overall, this.threshold(), s.who, stoppedRollouts(this.model.releases));
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.accessibilityInformation = { label: `Update Fleet: ${view.text.replace(/\$\([^)]*\)\s*/, '')}` };
    this.item.show();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
