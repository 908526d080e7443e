// What commands and panels need, in one object (built in activate, handed around; tests reach it through the
// extension's exports and swap `ui` for scripted answers).
import type * as vscode from 'vscode';
import type { Connection } from './connection';
import { roleAllows, roleRefusal } from './presentation';
import type { FleetEvents } from './events';
import { FleetApiError, type FleetClient } from './fleetClient';
import type { GroupsTreeProvider } from './groupsTree';
import type { AuditTreeProvider } from './auditTree';
import type { FleetModel } from './model';
import type { FleetStatusBar } from './statusBar';
import type { FleetUi } from './ui';

export interface FleetServices {
  readonly extensionUri: vscode.Uri;
  readonly connection: Connection;
  readonly model: FleetModel;
  readonly events: FleetEvents;
  readonly groupsTree: GroupsTreeProvider;
  readonly auditTree: AuditTreeProvider;
  readonly statusBar: FleetStatusBar;
  readonly log: vscode.LogOutputChannel;
  ui: FleetUi;
}

/**
 * Say so BEFORE any pick or confirmation when the signed-in role may not do this (the server would refuse
 * anyway). Servers without whoami: the server decides.
 */
export function requireRole(svc: FleetServices, min: 'operator' | 'admin', action: string): FleetClient {
  const client = requireClient(svc);
  const s = svc.connection.state;
  if (s.kind === 'signed-in' && !roleAllows(s.who, min)) throw new FleetApiError(403, 'forbidden', roleRefusal(action, s.who!, min));
  return client;
}

/** The signed-in API client, or a clear error that says what to do. */
export function requireClient(svc: FleetServices): FleetClient {
  const c = svc.connection.client;
  if (c) return c;
  const s = svc.connection.state;
  if (s.kind === 'no-server') throw new FleetApiError(0, 'no-server', 'Connect to a fleet server first (Update Fleet: Connect to Server…).');
  if (s.kind === 'unreachable') throw new FleetApiError(0, 'unreachable', `Cannot reach the fleet server at ${s.url}: ${s.message}`);
  throw new FleetApiError(401, 'not-signed-in', 'Sign in to the fleet server first (Update Fleet: Sign In…).');
}
