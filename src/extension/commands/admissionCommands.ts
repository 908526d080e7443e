// Accept / Reject a pending client, Decommission a client, Rotate the enrollment token (issue 9). The server
// decides and says why; these ask, call and tell.
import * as vscode from 'vscode';
import type { EnrollmentView } from '../../core/wire';
import { requireClient, requireRole, type FleetServices } from '../services';
import type { PickItem } from '../ui';
import { resolveClient } from './pickers';

/** A pending client from its tree item ({enrollment}), a client id, or a quick pick over the Pending list. */
async function resolvePending(svc: FleetServices, arg: unknown, title: string): Promise<EnrollmentView | undefined> {
  const fromItem = (arg as { enrollment?: EnrollmentView } | undefined)?.enrollment;
  if (fromItem) return fromItem;
  const page = await requireClient(svc).enrollments('pending');
  if (typeof arg === 'string') {
    const found = page.items.find((e) => e.clientId === arg);
    if (!found) throw new Error(`No client "${arg}" is waiting for admission.`);
    return found;
  }
  if (page.items.length === 0) {
    svc.ui.info('No client is waiting for admission.');
    return undefined;
  }
  const items: PickItem<EnrollmentView>[] = page.items.map((e) => ({
    label: e.name || e.computer, description: `${e.computer} · ${e.address}`, detail: `Client id ${e.clientId}, enrolled ${e.enrolledAt}`, value: e,
  }));
  return svc.ui.pick(items, { title, placeHolder: 'Pick a pending client' });
}

export async function admitClient(svc: FleetServices, decision: 'accept' | 'reject', arg?: unknown): Promise<EnrollmentView | undefined> {
  const verb = decision === 'accept' ? 'Accepting' : 'Rejecting';
  requireRole(svc, 'operator', `${verb} a client`);
  const e = await resolvePending(svc, arg, decision === 'accept' ? 'Accept Client' : 'Reject Client');
  if (!e) return undefined;
  if (decision === 'reject') {
    const ok = await svc.ui.confirm(`Reject ${e.name || e.clientId}?`, `It connected from ${e.address}. The server will refuse this client from now on; the machine must be set up again to enroll under a new id.`, ['Reject']);
    if (ok !== 'Reject') return undefined;
  }
  const done = await svc.ui.progress(`${verb} ${e.name || e.clientId}…`, () => requireClient(svc).admitClient(e.clientId, decision));
  svc.log.info(`${decision === 'accept' ? 'Accepted' : 'Rejected'} client ${e.name} (${e.clientId}, from ${e.address}).`);
  svc.groupsTree.reset();
  svc.ui.info(decision === 'accept' ? `${e.name || e.clientId} is admitted; it joins the Default group at its next check-in.` : `${e.name || e.clientId} is rejected.`);
  return done;
}

export async function decommissionClient(svc: FleetServices, arg?: unknown): Promise<EnrollmentView | undefined> {
  requireRole(svc, 'operator', 'Decommissioning a client');
  const c = await resolveClient(svc, arg, 'Decommission Client');
  if (!c) return undefined;
  const ok = await svc.ui.confirm(`Decommission ${c.name}?`, `${c.computer} (${c.ip}) leaves the fleet and the server refuses its next check-in. Its history stays in the audit log. This cannot be undone; the machine would enroll again under a new id.`, ['Decommission']);
  if (ok !== 'Decommission') return undefined;
  const done = await svc.ui.progress(`Decommissioning ${c.name}…`, () => requireClient(svc).decommissionClient(c.id));
  svc.log.info(`Decommissioned client ${c.name} (${c.id}).`);
  await svc.model.apply({ all: false, releases: true, groups: true, clients: true, groupIds: [c.groupId], policyGroupIds: [] });
  svc.ui.info(`${c.name} is decommissioned: the server refuses it from now on.`);
  return done;
}

/** The new token is shown once, in a dialog with a copy button, and never written to the log or settings. */
export async function rotateEnrollmentToken(svc: FleetServices): Promise<boolean> {
  requireRole(svc, 'admin', 'Rotating the enrollment token');
  const ok = await svc.ui.confirm('Rotate the enrollment token?', 'The current enrollment token stops working at once: machines not yet enrolled need the new one. Enrolled clients keep their own credentials and are not affected.', ['Rotate']);
  if (ok !== 'Rotate') return false;
  const r = await svc.ui.progress('Rotating the enrollment token…', () => requireClient(svc).rotateEnrollmentToken());
  svc.log.info(`Rotated the enrollment token (new token id ${r.id}).`);
  const copy = await svc.ui.confirm('New enrollment token (shown once)', `${r.token}\n\nGive it to machines that have not enrolled yet (--token-file). It is also in the server's enroll.token file.`, ['Copy to Clipboard']);
  if (copy === 'Copy to Clipboard') await vscode.env.clipboard.writeText(r.token);
  return true;
}
