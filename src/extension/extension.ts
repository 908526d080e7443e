// Update Fleet — the admin console. activate() wires the connection, the live event feed, the shared model, the
// three trees, the status bar, the panels and the commands; it returns an API the in-host tests use.
import * as vscode from 'vscode';
import { ApprovalsTreeProvider } from './approvalsTree';
import { COMMANDS, registerCommands } from './commands';
import { Connection } from './connection';
import { FleetEvents } from './events';
import { GroupsTreeProvider } from './groupsTree';
import { AuditTreeProvider } from './auditTree';
import { createLog } from './log';
import { FleetModel } from './model';
import { ClientStatusPanel } from './panels/clientStatusPanel';
import { CLIENT_STATUS_VIEW_TYPE, type ClientStatusState, POLICY_VIEW_TYPE, type PolicyPanelState } from './panels/messages';
import { PolicyPanel } from './panels/policyPanel';
import { ReleasesTreeProvider } from './releasesTree';
import { RolloutNotifier } from './rolloutNotifier';
import type { FleetServices } from './services';
import { FleetStatusBar } from './statusBar';
import { type FleetUi, VsCodeUi } from './ui';

export const VIEW_IDS = { releases: 'updateFleet.releases', approvals: 'updateFleet.approvals', groups: 'updateFleet.groups', audit: 'updateFleet.audit' } as const;

export interface FleetExtensionApi {
  readonly services: FleetServices;
  readonly releasesTree: ReleasesTreeProvider;
  readonly approvalsTree: ApprovalsTreeProvider;
  readonly groupsTree: GroupsTreeProvider;
  readonly auditTree: AuditTreeProvider;
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
  const auditTree = new AuditTreeProvider(model, connection, log);
  const svc: FleetServices = { extensionUri: context.extensionUri, connection, model, events, groupsTree, auditTree, statusBar, log, ui: new VsCodeUi() };
  const releasesTree = new ReleasesTreeProvider(model);
  const rolloutNotifier = new RolloutNotifier(model, COMMANDS.resumeRollout);
  const approvalsTree = new ApprovalsTreeProvider(model);
  const releasesView = vscode.window.createTreeView(VIEW_IDS.releases, { treeDataProvider: releasesTree, showCollapseAll: false });
  const auditView = vscode.window.createTreeView(VIEW_IDS.audit, { treeDataProvider: auditTree, showCollapseAll: true });
  const views = [
    releasesView,
    vscode.window.createTreeView(VIEW_IDS.approvals, { treeDataProvider: approvalsTree, showCollapseAll: true }),
    vscode.window.createTreeView(VIEW_IDS.groups, { treeDataProvider: groupsTree, showCollapseAll: true }),
    auditView,
  ];
  // The views say who is signed in (name and role) and, when the server is lost, that they show the last known state.
  const describeViews = (): void => {
    const s = connection.state;
    releasesView.description = s.kind === 'signed-in' && s.who ? `${s.who.name} · ${s.who.role}` : s.kind === 'unreachable' ? 'offline' : undefined;
    for (const v of views) {
      v.message = s.kind === 'unreachable' ? `Offline: cannot reach ${s.url}. Showing the last known state; reconnecting by itself.` : undefined;
    }
    auditView.description = auditTree.filterText() || undefined;
  };
  let lastSignedIn: string | undefined;

  context.subscriptions.push(
    log, connection, events, model, groupsTree, auditTree, statusBar, releasesTree, approvalsTree, rolloutNotifier, ...views,
    auditTree.onDidChangeFilter(() => describeViews()),
    ...registerCommands(svc),
    vscode.window.registerWebviewPanelSerializer(POLICY_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => PolicyPanel.revive(svc, panel, state as PolicyPanelState | undefined),
    }),
    vscode.window.registerWebviewPanelSerializer(CLIENT_STATUS_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: unknown) => ClientStatusPanel.revive(svc, panel, state as ClientStatusState | undefined),
    }),
    connection.onDidChange((s) => {
      describeViews();
      if (s.kind === 'unreachable') return; // keep what is shown; it is marked offline
      if (s.kind !== 'signed-in') groupsTree.reset();
      const key = s.kind === 'signed-in' ? `${s.url}\n${s.who?.name ?? ''}` : undefined;
      if (key !== lastSignedIn) {
        if (s.kind === 'signed-in') {
          groupsTree.reset();
          void auditTree.reload();
        }
        lastSignedIn = key;
      }
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
    auditTree,
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
