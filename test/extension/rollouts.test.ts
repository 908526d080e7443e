import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ReleaseView, RolloutChangeResponse } from '../../src/core/wire';
import { getRelease, http, registerRelease, uniqueVersion, useScriptedUi } from './helpers';

type Item = vscode.TreeItem & { release?: ReleaseView; rollout?: { groupId: string } };

describe('Pause Rollout… / Resume Rollout… (against a real fleet server)', function () {
  const host = useScriptedUi();

  it('pauses a release\'s rollout (marked in Releases and Approvals) and resumes one group from its row, saying what it resets', async () => {
    const r = await registerRelease({ version: uniqueVersion() });
    await http().post(`/releases/${r.id}/approve`, {});
    await host.api.services.model.reload();
    host.ui.confirmWith((m, _d, actions) => (m === `Pause the rollout of ${r.version}?` ? actions[0] : undefined)).answerInput('waiting for the vendor');
    const paused = await vscode.commands.executeCommand<RolloutChangeResponse>('updateFleet.pauseRollout', r.version);
    assert.deepEqual(host.ui.errors, []);
    assert.ok(paused && paused.changed.length > 0, 'paused in the groups the release goes to');
    assert.ok(host.ui.infos.some((m) => m.includes(`The rollout of ${r.version} is paused in`)));

    const item = ((await host.api.releasesTree.getChildren()) as Item[]).find((i) => i.label === r.version)!;
    assert.equal(item.contextValue, 'release.approved.paused');
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'debug-pause');
    assert.match(String(item.description), /rollout paused$/);
    const rows = (await host.api.releasesTree.getChildren(item as never)) as Item[];
    assert.deepEqual(rows.map((x) => x.contextValue), paused.changed.map(() => 'rollout.paused'));
    // The status bar names the paused rollout in its tooltip (a halt would also show in its text).
    const tooltip = () => String(host.api.services.statusBar.item.tooltip);
    assert.match(tooltip(), new RegExp(`Rollout of ${r.version.replace(/\./g, '\\.')} paused in .*: waiting for the vendor`));
    const sections = (await host.api.approvalsTree.getChildren()) as Item[];
    assert.equal(sections[0].contextValue, 'section.stopped');
    assert.ok(((await host.api.approvalsTree.getChildren(sections[0] as never)) as Item[]).some((i) => i.label === r.version));

    // Resume one group, from its row under the release.
    const first = rows[0];
    host.ui.confirmWith((m, detail, actions) => (m.startsWith(`Resume the rollout of ${r.version} in `) && /resets the failure count/.test(detail) ? actions[0] : undefined)).answerInput('');
    const resumed = await vscode.commands.executeCommand<RolloutChangeResponse>('updateFleet.resumeRollout', first);
    assert.deepEqual(host.ui.errors, []);
    assert.deepEqual(resumed?.changed.map((c) => c.groupId), [first.rollout!.groupId]);
    assert.ok(host.ui.infos.some((m) => m.includes(`failure count of ${r.version} starts again from zero`)));
    const server = await getRelease(r.id);
    assert.equal(server.rollouts?.find((g) => g.groupId === first.rollout!.groupId)?.state, 'running');

    // Resume the rest from the release: nothing stays paused for the suites after this one.
    if (paused.changed.length > 1) {
      host.ui.confirmWith((_m, _d, actions) => actions[0]).answerInput('');
      await vscode.commands.executeCommand('updateFleet.resumeRollout', { release: await getRelease(r.id) });
    }
    await host.api.services.model.reload();
    const after = ((await host.api.releasesTree.getChildren()) as Item[]).find((i) => i.label === r.version)!;
    assert.equal(after.contextValue, 'release.approved');
    assert.ok(!tooltip().includes(`Rollout of ${r.version} `), 'resumed everywhere: the status bar no longer names it');
    assert.ok(host.ui.done);
  });
});
