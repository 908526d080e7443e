import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, fleetApi, serverEnv } from './helpers';

describe('activation', () => {
  it('activates and registers every command of the manifest', async () => {
    const api = await fleetApi();
    assert.ok(api.services.connection, 'the extension returns its API');
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const declared = (ext.packageJSON.contributes.commands as { command: string; category: string }[]);
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const c of declared) {
      assert.ok(registered.has(c.command), `${c.command} is registered`);
      assert.equal(c.category, 'Update Fleet', `${c.command} is in the Update Fleet category`);
    }
    for (const id of Object.values(api.commands)) assert.ok(declared.some((c) => c.command === id), `${id} is declared`);
  });

  it('never keeps the token in settings', async () => {
    const cfg = vscode.workspace.getConfiguration('updateFleet');
    const inspected = JSON.stringify(cfg);
    const token = serverEnv()?.token;
    if (token) assert.ok(!inspected.includes(token), 'no token in the updateFleet settings');
    assert.equal(cfg.get('token'), undefined);
  });
});
