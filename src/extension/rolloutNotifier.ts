// Tells the admin when a rollout halts (a warning with Resume Rollout), and when a ring promotes a release.
import * as vscode from 'vscode';
import type { RolloutEvent } from '../core/wire';
import type { FleetModel } from './model';
import { rolloutEventText } from './rolloutText';

export const RESUME_ROLLOUT = 'Resume Rollout';

export class RolloutNotifier implements vscode.Disposable {
  private readonly sub: vscode.Disposable;

  constructor(model: FleetModel, private readonly resumeCommand: string) {
    this.sub = model.onDidChangeRollout((events) => { for (const e of events) void this.tell(e); });
  }

  private async tell(e: RolloutEvent): Promise<void> {
    if (e.change === 'halted') {
      const choice = await vscode.window.showWarningMessage(rolloutEventText(e), RESUME_ROLLOUT);
      if (choice === RESUME_ROLLOUT) await vscode.commands.executeCommand(this.resumeCommand, { releaseId: e.releaseId, groupId: e.groupId });
    } else if (e.change === 'promoted') {
      void vscode.window.showInformationMessage(rolloutEventText(e));
    }
  }

  dispose(): void {
    this.sub.dispose();
  }
}
