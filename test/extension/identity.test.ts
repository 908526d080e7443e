// Client identity in the real VS Code (issue 9): a pending client shown under Pending in Client Groups and accepted
// from its tree item, then let in; a client decommissioned from its tree item is refused at its next check-in.
// The agent side is real HTTP against the real server: enroll with the enrollment token, check in as the client.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import axios from 'axios';
import * as vscode from 'vscode';
import { encodeClientToken } from '../../src/core/admission';
// Types only: the suite is bundled apart from the extension, so its classes are not the extension's (no instanceof).
import type { ClientItem, GroupItem, PendingClientItem, PendingItem } from '../../src/extension/treeItems';
import { eventually, serverEnv, useScriptedUi } from './helpers';

/** A machine's agent: its own secret, enrolled with the enrollment token the e2e harness hands to this host. */
function agentFor(clientId: string) {
  const env = serverEnv()!;
  const enrollToken = process.env.UPDATE_FLEET_E2E_ENROLL_TOKEN;
  if (!enrollToken) throw new Error('UPDATE_FLEET_E2E_ENROLL_TOKEN is not set (test/e2e/harness.ts sets it).');
  const secret = randomBytes(32).toString('base64url');
  const http = axios.create({ baseURL: `${env.url}/agent/v1`, adapter: 'http', proxy: false, validateStatus: () => true });
  const who = { clientId, name: `Machine ${clientId}`, computer: clientId.toUpperCase(), ip: '10.77.0.7', user: 'e2e.user' };
  return {
    enroll: () => http.post('/enroll', { ...who, secret }, { headers: { Authorization: `Bearer ${enrollToken}` } }),
    checkin: () => http.post('/checkin', { ...who, version: '1.2.2' }, { headers: { Authorization: `Bearer ${encodeClientToken(clientId, secret)}` } }),
  };
}

describe('client identity: admission and decommission from the Client Groups tree', function () {
  const host = useScriptedUi();

  it('a pending client is listed under Pending and accepted from its tree item; then it checks in', async () => {
    // A demo client's id enrolled with a new secret: the server holds it for an administrator (it could be an impostor).
    const agent = agentFor('demo-wh-pc-0003');
    const enrolled = await agent.enroll();
    assert.equal(enrolled.status, 201, JSON.stringify(enrolled.data));
    assert.equal(enrolled.data.status, 'pending');
    const refused = await agent.checkin();
    assert.equal(refused.status, 403);
    assert.match(refused.data.error.message, /waiting for an administrator to admit this client/);

    const pendingItem = await eventually(async () => {
      host.api.services.groupsTree.reset();
      const roots = await host.api.services.groupsTree.getChildren();
      return roots.find((r): r is PendingItem => r.kind === 'pending');
    }, 'the Pending node in Client Groups');
    assert.equal(pendingItem.contextValue, 'pending');
    const children = await host.api.services.groupsTree.getChildren(pendingItem);
    const item = children.find((c): c is PendingClientItem => c.kind === 'pendingClient' && c.enrollment.clientId === 'demo-wh-pc-0003');
    assert.ok(item, 'the pending client is listed');
    assert.equal(item.contextValue, 'pendingClient', 'the Accept / Reject menus key on it');
    assert.match(String(item.description), /127\.0\.0\.1/, 'with the address it connected from');

    const accepted = await vscode.commands.executeCommand<{ status: string }>('updateFleet.acceptClient', item);
    assert.deepEqual(host.ui.errors, []);
    assert.equal(accepted?.status, 'active');
    const inside = await agent.checkin();
    assert.equal(inside.status, 200, JSON.stringify(inside.data));
    await eventually(async () => {
      host.api.services.groupsTree.reset();
      const roots = await host.api.services.groupsTree.getChildren();
      const p = roots.find((r): r is PendingItem => r.kind === 'pending');
      return !p || !p.clients.some((c) => c.clientId === 'demo-wh-pc-0003');
    }, 'the client left the Pending list');
  });

  it('a client decommissioned from its tree item is refused at its next check-in, with the reason', async () => {
    const agent = agentFor(`a-e2e-retired-${Date.now()}`); // sorts first in Default's first page
    assert.equal((await agent.enroll()).status, 201);
    assert.equal((await agent.checkin()).status, 200);
    await host.api.services.model.reload();
    const item = await eventually(async () => {
      host.api.services.groupsTree.reset();
      const roots = await host.api.services.groupsTree.getChildren();
      const group = roots.find((r): r is GroupItem => r.kind === 'group' && r.group.id === 'default');
      if (!group) return undefined;
      const clients = await host.api.services.groupsTree.getChildren(group);
      return clients.find((c): c is ClientItem => c.kind === 'client' && c.client.computer.startsWith('A-E2E-RETIRED-'));
    }, 'the new client in the Default group');
    host.ui.confirmWith((m, _d, actions) => (m.startsWith('Decommission') ? actions[0] : undefined));
    const done = await vscode.commands.executeCommand<{ status: string }>('updateFleet.decommissionClient', item);
    assert.deepEqual(host.ui.errors, []);
    assert.equal(done?.status, 'decommissioned');
    const next = await agent.checkin();
    assert.equal(next.status, 403);
    assert.equal(next.data.error.code, 'decommissioned');
    assert.match(next.data.error.message, /decommissioned by an administrator/);
  });
});
