// The one door through which commands talk to the person at the keyboard. Commands take a FleetUi so tests can
// answer quick picks, input boxes and modal confirmations (the test host refuses modal dialogs).
import * as vscode from 'vscode';

export interface PickItem<T> extends vscode.QuickPickItem {
  value: T;
}

export interface FleetUi {
  pick<T>(items: readonly PickItem<T>[], options: { title: string; placeHolder?: string }): Promise<T | undefined>;
  input(options: { title: string; prompt?: string; value?: string; placeHolder?: string; password?: boolean; validate?: (v: string) => string | undefined }): Promise<string | undefined>;
  /** A modal question. Returns the chosen action's label, or undefined when dismissed. */
  confirm(message: string, detail: string, actions: readonly string[]): Promise<string | undefined>;
  saveDialog(options: { title: string; defaultFileName: string; filters?: Record<string, string[]> }): Promise<vscode.Uri | undefined>;
  /** Pick one existing file (a package to publish, a signature). */
  openDialog(options: { title: string; openLabel?: string; filters?: Record<string, string[]> }): Promise<vscode.Uri | undefined>;
  info(message: string): void;
  error(message: string, ...actions: string[]): Promise<string | undefined>;
  progress<T>(title: string, task: (report: (message: string) => void) => Promise<T>): Promise<T>;
}

export class VsCodeUi implements FleetUi {
  async pick<T>(items: readonly PickItem<T>[], options: { title: string; placeHolder?: string }): Promise<T | undefined> {
    // ignoreFocusOut: a webview that takes focus while it loads must not dismiss the question (as input boxes).
    const chosen = await vscode.window.showQuickPick(items, { title: options.title, placeHolder: options.placeHolder, matchOnDescription: true, matchOnDetail: true, ignoreFocusOut: true });
    return chosen?.value;
  }

  input(options: { title: string; prompt?: string; value?: string; placeHolder?: string; password?: boolean; validate?: (v: string) => string | undefined }): Promise<string | undefined> {
    return Promise.resolve(
      vscode.window.showInputBox({
        title: options.title,
        prompt: options.prompt,
        value: options.value,
        placeHolder: options.placeHolder,
        password: options.password,
        ignoreFocusOut: true,
        validateInput: options.validate,
      }),
    );
  }

  async confirm(message: string, detail: string, actions: readonly string[]): Promise<string | undefined> {
    return vscode.window.showWarningMessage(message, { modal: true, detail }, ...actions);
  }

  saveDialog(options: { title: string; defaultFileName: string; filters?: Record<string, string[]> }): Promise<vscode.Uri | undefined> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const defaultUri = folder ? vscode.Uri.joinPath(folder, options.defaultFileName) : undefined;
    return Promise.resolve(vscode.window.showSaveDialog({ title: options.title, defaultUri, filters: options.filters, saveLabel: 'Save' }));
  }

  async openDialog(options: { title: string; openLabel?: string; filters?: Record<string, string[]> }): Promise<vscode.Uri | undefined> {
    const chosen = await vscode.window.showOpenDialog({
      title: options.title, openLabel: options.openLabel, filters: options.filters,
      canSelectFiles: true, canSelectFolders: false, canSelectMany: false,
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    return chosen?.[0];
  }

  info(message: string): void {
    void vscode.window.showInformationMessage(message);
  }

  async error(message: string, ...actions: string[]): Promise<string | undefined> {
    return vscode.window.showErrorMessage(message, ...actions);
  }

  progress<T>(title: string, task: (report: (message: string) => void) => Promise<T>): Promise<T> {
    return Promise.resolve(
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: false }, (p) =>
        task((message) => p.report({ message })),
      ),
    );
  }
}
