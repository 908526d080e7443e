import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { planRollback } from '../../src/core/rollback';
import type { ClientDetail, GroupView, Page, ReleaseView } from '../../src/core/wire';
import type { Client } from '../../src/core/types';
import { eventually, getRelease, http, registerRelease, serverEnv, tempDir, uniqueVersion, useScriptedUi } from './helpers';

describe('commands (palette and tree items, against a real fleet server)', function () {
  const host = useScriptedUi();

  it('Approve Release… from the palette: quick pick, confirmation, server and tree change', async () => {
    const r = await registerRelease({ version: uniqueVersion() });
    await host.api.services.model.reload();
    host.ui.pickLabel(r.version).confirmWith((m, _d, actions) => (m.includes(r.version) ? actions[0] : undefined)).answerInput('tested in the in-host suite');
    const done = await vscode.commands.executeCommand<ReleaseView>('updateFleet.approveRelease');
    assert.deepEqual(host.ui.errors, []);
    assert.equal(done?.state, 'approved');
    assert.equal((await getRelease(r.id)).state, 'approved', 'the server changed');
    const item = (await host.api.releasesTree.getChildren()).find((i) => i.label === r.version);
    assert.equal(item?.contextValue, 'release.approved', 'the tree changed');
    assert.ok(host.ui.asked.find((a) => a.kind === 'pick')?.items?.includes(r.version), 'the pick offered the pending release');
    const note = (await getRelease(r.id)).transitions.at(-1)?.note;
    assert.equal(note, 'tested in the in-host suite', 'the note is recorded with the approval');
    assert.ok(host.ui.done);
  });

  it('Set Minimum Auto-Upgrade Version…: fleet-wide; clients below it need a manual install in every group', async () => {
    type Summary = { overall: { byHealth: Record<string, number> } };
    const before = (await http().get<{ minimumAutoUpgradeVersion: string | null }>('/settings')).data.minimumAutoUpgradeVersion;
    try {
      // Above every demo client's version: every client that is not current needs a manual install now.
      host.ui.answerInput('3.59.0.0');
      const saved = await vscode.commands.executeCommand<{ minimumAutoUpgradeVersion: string | null }>('updateFleet.setMinimumVersion');
      assert.deepEqual(host.ui.errors, []);
      assert.equal(saved?.minimumAutoUpgradeVersion, '3.59.0.0');
      assert.equal((await http().get('/settings')).data.minimumAutoUpgradeVersion, '3.59.0.0', 'the server has it');
      assert.match(host.ui.infos.join('\n'), /below 3\.59\.0\.0 now need a manual install, in every group/);
      const s = (await http().get<Summary>('/summary')).data.overall;
      assert.ok(s.byHealth['manual-required']! > 0, JSON.stringify(s.byHealth));
      // The status bar's tooltip follows (the server's settings event brings a new summary).
      await eventually(() => String(host.api.services.statusBar.item.tooltip).includes(`Manual install required: ${s.byHealth['manual-required']!.toLocaleString('en-US')}`), `the tooltip to count ${s.byHealth['manual-required']} manual installs (was ${String(host.api.services.statusBar.item.tooltip)})`);
      assert.ok(host.ui.done);
    } finally {
      await http().put('/settings', { minimumAutoUpgradeVersion: before });
    }
  });

  it('a declined confirmation changes nothing', async () => {
    const r = await registerRelease({ version: uniqueVersion() });
    host.ui.confirmWith(undefined);
    await vscode.commands.executeCommand('updateFleet.approveRelease', { release: r });
    assert.equal((await getRelease(r.id)).state, 'pending');
  });

  it('Roll Back Release… on a tree item: plan first, offers to approve the target, confirms, carries out', async () => {
    const older = await registerRelease({ version: uniqueVersion() });
    const bad = await registerRelease({ version: uniqueVersion() });
    await http().post(`/releases/${bad.id}/approve`, {});
    const releases = (await http().get<ReleaseView[] | Page<ReleaseView>>('/releases')).data;
    const expected = planRollback(bad.id, Array.isArray(releases) ? releases : releases.items);
    assert.ok(expected.ok);
    const targetVersion = expected.target?.version ?? expected.mustApprove!.version;
    await host.api.services.model.reload();
    const item = (await host.api.releasesTree.getChildren()).find((i) => i.label === bad.version)!;
    let seen: { message: string; detail: string; actions: readonly string[] } | undefined;
    host.ui.confirmWith((message, detail, actions) => {
      seen = { message, detail, actions };
      return actions[0];
    }).answerInput('');
    const plan = await vscode.commands.executeCommand<{ carriedOut: boolean; affectedClients: number }>('updateFleet.rollbackRelease', item);
    assert.deepEqual(host.ui.errors, []);
    assert.ok(seen, 'a confirmation was asked');
    assert.match(seen!.message, new RegExp(`Roll back ${bad.version.replace(/\./g, '\\.')} to ${targetVersion.replace(/\./g, '\\.')}`));
    assert.match(seen!.detail, /clients? on/);
    if (expected.mustApprove) {
      assert.equal(seen!.actions[0], `Approve ${expected.mustApprove.version} and Roll Back`);
      assert.match(seen!.detail, /not approved/);
      assert.equal((await getRelease(expected.mustApprove.id)).state, 'approved', 'the target was approved as part of the rollback');
    } else {
      assert.equal(seen!.actions[0], 'Roll Back');
    }
    assert.ok(plan, 'the rollback result is returned');
    assert.equal((await getRelease(bad.id)).state, 'revoked', 'the bad release is revoked');
    void older;
  });

  it('server errors appear as clear messages with the server\'s words', async () => {
    const r = await registerRelease({ version: uniqueVersion() });
    await http().post(`/releases/${r.id}/approve`, {});
    host.ui.confirmWith('Approve').answerInput('');
    await vscode.commands.executeCommand('updateFleet.approveRelease', r.id);
    assert.equal(host.ui.errors.length, 1);
    assert.match(host.ui.errors[0], /^Approve Release: /);
    assert.match(host.ui.errors[0], /already|approved/i);
  });

  it('Export Failed Upgrades (CSV)… writes the server\'s CSV to disk', async () => {
    const file = vscode.Uri.file(join(tempDir(), 'failed.csv'));
    host.ui.saveTo(file);
    const saved = await vscode.commands.executeCommand<string>('updateFleet.exportFailedUpgrades');
    assert.deepEqual(host.ui.errors, []);
    assert.equal(saved, file.fsPath);
    const text = readFileSync(file.fsPath, 'utf8');
    const [header, ...rows] = text.trim().split(/\r?\n/);
    assert.match(header, /computer/i, 'a header row');
    assert.match(header, /reason/i, 'failures come with their reason');
    for (const row of rows) assert.match(row, /failed/);
  });

  it('Export Client Report (CSV)… cancelled at the save dialog writes nothing and says nothing', async () => {
    host.ui.saveTo(undefined);
    const saved = await vscode.commands.executeCommand<string | null>('updateFleet.exportClientReport');
    assert.equal(saved, null);
    assert.deepEqual(host.ui.errors, []);
    assert.deepEqual(host.ui.infos, []);
  });

  it('Move Client to Group… from the palette: search, pick the client, pick the group', async () => {
    const groups = (await http().get<GroupView[] | Page<GroupView>>('/groups')).data;
    const list = Array.isArray(groups) ? groups : groups.items;
    if (list.length < 2) return;
    const page = (await http().get<Page<Client>>('/clients', { params: { limit: 1 } })).data;
    const c = page.items[0];
    if (!c) return;
    const to = list.find((g) => g.id !== c.groupId)!;
    host.ui.answerInput(c.computer).pickWhere((items) => items.find((i) => (i.value as Client).id === c.id)).pickLabel(to.name);
    await vscode.commands.executeCommand('updateFleet.moveClient');
    assert.deepEqual(host.ui.errors, []);
    const after = (await http().get<ClientDetail>(`/clients/${c.id}`)).data;
    assert.equal(after.groupId, to.id);
    // and back, acting on a tree item's client
    host.ui.pickLabel(list.find((g) => g.id === c.groupId)!.name);
    await vscode.commands.executeCommand('updateFleet.moveClient', { client: after });
    assert.equal((await http().get<ClientDetail>(`/clients/${c.id}`)).data.groupId, c.groupId);
  });

  it('Sign Out clears the signed-in state; Sign In with a token restores it', async () => {
    await vscode.commands.executeCommand('updateFleet.signOut');
    assert.equal(host.api.services.connection.state.kind, 'signed-out');
    assert.equal(host.api.services.connection.client, undefined);
    host.ui.answerInput('not-a-valid-token');
    await vscode.commands.executeCommand('updateFleet.signIn');
    assert.equal(host.ui.errors.length, 1, 'a wrong token is refused with a message');
    assert.equal(host.api.services.connection.state.kind, 'signed-out');
    host.ui.answerInput(serverEnv()!.token);
    await vscode.commands.executeCommand('updateFleet.signIn');
    assert.equal(host.api.services.connection.state.kind, 'signed-in');
    await host.api.services.model.reload();
  });
});
