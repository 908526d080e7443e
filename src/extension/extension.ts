// Update Fleet — the admin console. activate() wires the connection, the live event feed, the shared model, the
// three trees, the status bar, the panels and the commands; it returns an API the in-host tests use.
import * as vscode from 'vscode';
import { ApprovalsTreeProvider } from './approvalsTree';
import { COMMANDS, registerCommands } from './commands';
import { Connection } from './connection';
import { FleetEvents } from './events';
import { GroupsTreeProvider } from './groupsTree';
import { createLog } from './log';
import { FleetModel } from './model';
import { ClientStatusPanel } from './panels/clientStatusPanel';
import { CLIENT_STATUS_VIEW_TYPE, type ClientStatusState, POLICY_VIEW_TYPE, type PolicyPanelState } from './panels/messages';
import { PolicyPanel } from './panels/policyPanel';
import { ReleasesTreeProvider } from './releasesTree';
import type { FleetServices } from './services';
import { FleetStatusBar } from './statusBar';
import { type FleetUi, VsCodeUi } from './ui';

export const VIEW_IDS = { releases: 'updateFleet.releases', approvals: 'updateFleet.approvals', groups: 'updateFleet.groups' } as const;

export interface FleetExtensionApi {
  readonly services: FleetServices;
  readonly releasesTree: ReleasesTreeProvider;
  readonly approvalsTree: ApprovalsTreeProvider;
  readonly groupsTree: GroupsTreeProvider;
  readonly commands: typeof COMMANDS;
  /** Open panels (the test bundle cannot share the panels' module state, so it asks here). */
  panels(): { policy: PolicyPanel[]; clientStatus: ClientStatusPanel | undefined };
  /** Swap the UI layer (tests answer quick picks and confirmations); returns the previous one. */
  setUi(ui: FleetUi): FleetUi;
}

export async function activate(context: vscode.ExtensionContext): Promise<FleetExtensionApi> {
  const log = createLog();
  const connection = new Connection(context.secrets, log);
  const events = new FleetEvents(connection, log);
  const model = new FleetModel(connection, events, log);
  const groupsTree = new GroupsTreeProvider(model, connection, log);
  const statusBar = new FleetStatusBar(model, connection);
  const svc: FleetServices = { extensionUri: context.extensionUri, connection, model, events, groupsTree, statusBar, log, ui: new VsCodeUi() };
  const releasesTree = new ReleasesTreeProvider(model);
  const approvalsTree = new ApprovalsTreeProvider(model);

  context.subscriptions.push(
    log, connection, events, model, groupsTree, statusBar, releasesTree, approvalsTree,
    vscode.window.createTreeView(VIEW_IDS.releases, { treeDataProvider: releasesTree, showCollapseAll: false }),
    vscode.window.createTreeView(VIEW_IDS.approvals, { treeDataProvider: approvalsTree, showCollapseAll: true }),
    vscode.window.createTreeView(VIEW_IDS.groups, { treeDataProvider: groupsTree, showCollapseAll: true }),
    ...registerCommands(svc),
    vscode.window.registerWebviewPanelSerializer(POLICY_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => PolicyPanel.revive(svc, panel, state as PolicyPanelState | undefined),
    }),
    vscode.window.registerWebviewPanelSerializer(CLIENT_STATUS_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => ClientStatusPanel.revive(svc, panel, state as ClientStatusState | undefined),
    }),
    connection.onDidChange((s) => {
      if (s.kind !== 'signed-in') groupsTree.reset();
    }),
    { dispose: () => { for (const p of [...PolicyPanel.panels.values()]) p.dispose(); ClientStatusPanel.current?.dispose(); } },
  );

  log.info('Update Fleet activated.');
  // Probe the server in the background; welcome views show until we know.
  void connection.refresh();

  return {
    services: svc,
    releasesTree,
    approvalsTree,
    groupsTree,
    commands: COMMANDS,
    panels: () => ({ policy: [...PolicyPanel.panels.values()], clientStatus: ClientStatusPanel.current }),
    setUi(ui: FleetUi): FleetUi {
      const before = svc.ui;
      svc.ui = ui;
      return before;
    },
  };
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}
