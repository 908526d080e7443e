import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { eventually, useScriptedUi } from './helpers';

describe('panels (hosts; the webview side is driven by the e2e suite)', function () {
  const host = useScriptedUi();
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Edit Policy… from the palette opens "Policy — <group>"', async () => {
    const group = host.api.services.model.groups[0];
    assert.ok(group, 'the fleet has a group');
    host.ui.pickLabel(group.name);
    await vscode.commands.executeCommand('updateFleet.editPolicy');
    assert.deepEqual(host.ui.errors, []);
    const panel = await eventually(() => host.api.panels().policy.find((p) => p.groupId === group.id), 'the policy panel');
    assert.equal(panel.panel.title, `Policy — ${group.name}`);
    assert.equal(panel.panel.viewType, 'updateFleet.policy');
    assert.match(panel.panel.webview.html, /Content-Security-Policy/);
    assert.match(panel.panel.webview.html, /script-src 'nonce-[A-Za-z0-9]+'/);
    assert.doesNotMatch(panel.panel.webview.html, /<script(?![^>]*nonce)/, 'every script has the nonce');
    assert.doesNotMatch(panel.panel.webview.html, /style="/, 'no inline styles');
    for (const id of ['policy-mode', 'preview-button', 'save-button']) assert.match(panel.panel.webview.html, new RegExp(`id="${id}"`));
    // the same group again focuses the same panel
    await vscode.commands.executeCommand('updateFleet.editPolicy', { group });
    assert.equal(host.api.panels().policy.filter((p) => p.groupId === group.id).length, 1);
  });

  it('Show Client Status (from the status bar: failures) opens one Client Status panel', async () => {
    await vscode.commands.executeCommand('updateFleet.showClientStatus', { state: 'failed' });
    const p = await eventually(() => host.api.panels().clientStatus, 'the client status panel');
    assert.equal(p.panel.title, 'Client Status');
    for (const id of ['search-input', 'clients-table', 'version-chart', 'export-button', 'client-history']) {
      assert.match(p.panel.webview.html, new RegExp(`id="${id}"`));
    }
    await vscode.commands.executeCommand('updateFleet.showClientStatus');
    assert.equal(host.api.panels().clientStatus, p, 'reused, not duplicated');
  });
});
