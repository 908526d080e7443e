// Issue 11 in the real extension host: approval refused without a package (the server's sentence), a release
// published from VS Code with its package, downloaded for testing and approved with a note, the Audit view with
// a policy diff and the note, the viewer told before any dialog, a failed connect that keeps the connection.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { withPolicyDefaults } from '../../src/core/policy';
import type { Policy } from '../../src/core/types';
import type { ReleaseView } from '../../src/core/wire';
import type { AuditItem } from '../../src/extension/auditTree';
import { getRelease, http, registerRelease, serverEnv, tempDir, uniqueVersion, useScriptedUi } from './helpers';

describe('issue 11: the console tells the truth and controls rollouts', function () {
  const host = useScriptedUi();

  it('approving a release without a package is refused with the server\'s sentence', async () => {
    const r = await registerRelease({ version: uniqueVersion() }, false);
    host.ui.confirmWith((_m, detail, actions) => (/No package has been uploaded/.test(detail) ? actions[0] : undefined)).answerInput('');
    const done = await vscode.commands.executeCommand('updateFleet.approveRelease', r.id);
    assert.equal(done, undefined);
    assert.equal(host.ui.errors.length, 1);
    assert.match(host.ui.errors[0], new RegExp(`^Approve Release: Release ${r.version.replace(/\./g, '\\.')} has no package yet: upload the package first\\b.*\\.$`));
    assert.equal((await getRelease(r.id)).state, 'pending');
  });

  let published: ReleaseView | undefined;
  const packageBytes = Buffer.from(`a package built by the in-host suite at ${new Date().toISOString()}\n`);

  it('Publish Release…: version (a pre-release suggests beta), notes, mandatory, the package uploaded with progress', async () => {
    const version = `${uniqueVersion()}-beta.1`;
    const file = join(tempDir(), 'app.tar.gz');
    writeFileSync(file, packageBytes);
    host.ui.answerInput(version)
      .pickWhere((items) => items[0]) // the first channel offered
      .answerInput('New sign-in screen.')
      .pickLabel('Optional')
      .openFile(vscode.Uri.file(file))
      .pickLabel('No signature');
    published = await vscode.commands.executeCommand<ReleaseView>('updateFleet.publishRelease');
    assert.deepEqual(host.ui.errors, []);
    assert.ok(published, 'the command returns the release');
    assert.equal(host.ui.asked.find((a) => a.title.includes('channel'))?.items?.[0], 'Beta', 'a pre-release suggests the beta channel first');
    assert.equal(published.channel, 'beta');
    assert.equal(published.state, 'pending');
    assert.equal(published.notes, 'New sign-in screen.');
    assert.equal(published.artifact.sha256, createHash('sha256').update(packageBytes).digest('hex'), 'the server has the very bytes');
    assert.ok(host.ui.progressTitles.some((t) => t.startsWith(`Uploading the package of ${version}`)));
    assert.ok(host.ui.done);
  });

  it('Edit Release Notes… changes notes and mandatory while pending', async () => {
    assert.ok(published);
    host.ui.answerInput('New sign-in screen; fixes the proxy setting.').pickLabel('Mandatory');
    const edited = await vscode.commands.executeCommand<ReleaseView>('updateFleet.editRelease', { release: published });
    assert.deepEqual(host.ui.errors, []);
    assert.equal(edited?.mandatory, true);
    assert.equal((await getRelease(published!.id)).notes, 'New sign-in screen; fixes the proxy setting.');
  });

  it('Download Package for Testing… saves a .tar.gz; the approve dialog then names who downloaded it; the note is recorded', async () => {
    assert.ok(published);
    const target = vscode.Uri.file(join(tempDir(), 'downloaded.tar.gz'));
    host.ui.saveTo(target);
    await vscode.commands.executeCommand('updateFleet.downloadRelease', { release: published });
    assert.deepEqual(host.ui.errors, []);
    assert.match(host.ui.asked.find((a) => a.kind === 'save')?.detail ?? '', /\.tar\.gz$/, 'offered as .tar.gz');
    assert.deepEqual(readFileSync(target.fsPath), packageBytes);

    let detail = '';
    host.ui.confirmWith((_m, d, actions) => {
      detail = d;
      return actions[0];
    }).answerInput('installed and started on two bench machines');
    const approved = await vscode.commands.executeCommand<ReleaseView>('updateFleet.approveRelease', published!.id);
    assert.deepEqual(host.ui.errors, []);
    assert.match(detail, /Downloaded for testing by admin, just now/);
    assert.equal(approved?.state, 'approved');
    assert.equal((await getRelease(published!.id)).transitions.at(-1)?.note, 'installed and started on two bench machines');
  });

  it('the Audit view shows a policy edit with its diff, and the approval with its note; filters by who and what', async () => {
    const before = (await http().get<Policy>('/groups/default/policy')).data;
    const after: Policy = { ...withPolicyDefaults(before), checkIntervalSeconds: before.checkIntervalSeconds === 7200 ? 3600 : 7200 };
    await http().put('/groups/default/policy', after);

    await vscode.commands.executeCommand('updateFleet.filterAudit', { action: 'policy.update' });
    const policyItems = (await host.api.auditTree.getChildren()) as AuditItem[];
    const edit = policyItems.find((i) => i.label === 'admin changed the policy of Default');
    assert.ok(edit, `a policy entry (${policyItems.map((i) => i.label).join(' | ')})`);
    const diff = (await host.api.auditTree.getChildren(edit)).map((i) => i.label);
    assert.ok(diff.includes(`checkIntervalSeconds: ${before.checkIntervalSeconds} → ${after.checkIntervalSeconds}`), `the diff (${diff.join(' | ')})`);

    await vscode.commands.executeCommand('updateFleet.filterAudit', { actor: 'admin', action: 'release.approve' });
    const approvals = (await host.api.auditTree.getChildren()) as AuditItem[];
    assert.ok(approvals.every((i) => i.entry.action === 'release.approve' && i.entry.actor === 'admin'));
    const mine = approvals.find((i) => i.entry.target === published!.version);
    assert.ok(mine, 'the approval is listed');
    assert.ok((await host.api.auditTree.getChildren(mine)).some((i) => i.label === 'note: installed and started on two bench machines'));

    await vscode.commands.executeCommand('updateFleet.filterAudit', { action: 'release.download' });
    assert.ok(((await host.api.auditTree.getChildren()) as AuditItem[]).some((i) => i.entry.target === published!.version && i.entry.actor === 'admin'));
    await vscode.commands.executeCommand('updateFleet.clearAuditFilter');
    assert.deepEqual(host.api.auditTree.filter, {});
  });

  it('signed in as a viewer: the role is named, and an action is refused BEFORE any dialog', async () => {
    const viewer = (await http().post<{ token: string }>('/tokens', { name: 'auditor', role: 'viewer' })).data.token;
    try {
      await host.api.services.connection.signIn(viewer);
      const s = host.api.services.connection.state;
      assert.equal(s.kind, 'signed-in');
      assert.deepEqual(s.kind === 'signed-in' ? s.who : undefined, { name: 'auditor', role: 'viewer' });
      await vscode.commands.executeCommand('updateFleet.approveRelease');
      assert.deepEqual(host.ui.asked, [], 'no pick, no confirmation');
      assert.equal(host.ui.errors.length, 1);
      assert.match(host.ui.errors[0], /needs the operator role; you are signed in as auditor with the viewer role/);
    } finally {
      await host.api.services.connection.signIn(serverEnv()!.token);
      await host.api.services.model.reload();
    }
    const s = host.api.services.connection.state;
    assert.equal(s.kind === 'signed-in' ? s.who?.role : undefined, 'admin');
  });

  it('a failed connect to a new address keeps the working connection and does not save the address', async () => {
    const before = vscode.workspace.getConfiguration('updateFleet').get<string>('serverUrl');
    const ok = await vscode.commands.executeCommand('updateFleet.connect', 'http://127.0.0.1:9');
    assert.equal(ok, undefined);
    assert.equal(host.ui.errors.length, 1);
    assert.match(host.ui.errors[0], /Cannot reach the fleet server at http:\/\/127\.0\.0\.1:9 .*is kept\./);
    assert.equal(vscode.workspace.getConfiguration('updateFleet').get<string>('serverUrl'), before, 'the setting is unchanged');
    assert.equal(host.api.services.connection.state.kind, 'signed-in');
    assert.equal(host.api.services.connection.serverUrl(), serverEnv()!.url);
  });
});
