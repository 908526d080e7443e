// Edit Policy…, Move Client to Group…, Show Client Status, exports.
import type { Client, ClientState } from '../../core/types';
import { EMPTY_FILTER, type ClientFilter } from '../panels/messages';
import { ClientStatusPanel } from '../panels/clientStatusPanel';
import { PolicyPanel } from '../panels/policyPanel';
import { requireClient, requireRole, type FleetServices } from '../services';
import { exportClientsCsv } from './exportCsv';
import { resolveClient, resolveGroup } from './pickers';

export async function editPolicy(svc: FleetServices, arg?: unknown): Promise<PolicyPanel | undefined> {
  const g = await resolveGroup(svc, arg, 'Edit Policy');
  if (!g) return undefined;
  return PolicyPanel.show(svc, g.id, g.name);
}

export async function moveClient(svc: FleetServices, arg?: unknown, toGroup?: string): Promise<Client | undefined> {
  requireRole(svc, 'operator', 'Moving a client');
  const c = await resolveClient(svc, arg, 'Move Client to Group');
  if (!c) return undefined;
  const g = await resolveGroup(svc, toGroup, `Move ${c.name} to…`, c.groupId);
  if (!g) return undefined;
  const moved = await svc.ui.progress(`Moving ${c.name} to ${g.name}…`, () => requireClient(svc).moveClient(c.id, g.id));
  svc.log.info(`Moved client ${c.name} (${c.id}) to group ${g.name} (${g.id}).`);
  await svc.model.apply({ all: false, releases: false, groups: true, clients: true, groupIds: [c.groupId, g.id], policyGroupIds: [] });
  svc.ui.info(`${c.name} is now in ${g.name}; its policy applies at the next check-in.`);
  return moved;
}

/** Opens Client Status; args from the status bar ({state:'failed'}), a client item ({q, selectId}) or a group item. */
export async function showClientStatus(svc: FleetServices, arg?: unknown): Promise<ClientStatusPanel> {
  requireClient(svc);
  let filter: ClientFilter | undefined;
  let selectId: string | undefined;
  const a = arg as { group?: { id: string } | string; state?: ClientState; q?: string; selectId?: string; version?: string } | undefined;
  if (a && typeof a === 'object') {
    // A request to show something specific replaces the whole filter, so e.g. the status bar shows only failures.
    filter = {
      ...EMPTY_FILTER,
      ...(typeof a.q === 'string' ? { q: a.q } : {}),
      ...(typeof a.state === 'string' ? { state: a.state } : {}),
      ...(typeof a.version === 'string' ? { version: a.version } : {}),
      ...(typeof a.group === 'string' ? { group: a.group } : a.group && typeof a.group === 'object' ? { group: a.group.id } : {}),
    };
    selectId = typeof a.selectId === 'string' ? a.selectId : undefined;
  }
  return ClientStatusPanel.show(svc, filter, selectId);
}

export function exportClientReport(svc: FleetServices): Promise<string | null> {
  return exportClientsCsv(svc);
}

export function exportFailedUpgrades(svc: FleetServices): Promise<string | null> {
  return exportClientsCsv(svc, 'failed');
}
