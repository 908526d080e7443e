// Issue 11 on the workbench: approval of a release without a package refused with the server's sentence; the
// Audit view (filtered from the palette) showing the policy edit of 03 with its diff and the approval note of 02;
// the status bar going offline when the server stops and coming back by itself when it returns.
import assert from 'node:assert/strict';
import type { ReleaseView, SummaryResponse } from '../../src/core/wire';
import { api, stack } from './fixture';
import {
  answerInputBox, clickDialogButton, dialog, pane, pickQuickItem, rowLabels, runCommand, runCommandAsking, screenshot, showFleetViews, statusText, toasts, until, waitForRow,
} from './workbench';

async function openAudit(): Promise<void> {
  const { page } = stack();
  await showFleetViews(page);
  const header = pane(page, 'Audit').locator('.pane-header');
  await header.waitFor();
  if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
}

async function filterAuditBy(what: string): Promise<void> {
  const { page } = stack();
  await runCommandAsking(page, 'Update Fleet: Filter Audit Log…', 'Filter the Audit Log');
  await pickQuickItem(page, 'What…', { title: 'Filter the Audit Log' });
  await pickQuickItem(page, what, { title: 'Audit: what' });
}

describe('the console tells the truth (issue 11)', () => {
  it('Approve Release… on a release without a package: the server refuses, and its sentence is shown', async () => {
    const { page } = stack();
    const reg = await api<ReleaseView>('/releases', { body: { version: '3.61.0.0', notes: 'registered without a package' } });
    assert.equal(reg.status, 201, reg.text);
    await runCommandAsking(page, 'Update Fleet: Approve Release…', 'Approve Release');
    await pickQuickItem(page, '3.61.0.0', { title: 'Approve Release' });
    const d = dialog(page).filter({ hasText: 'Approve 3.61.0.0?' });
    await d.waitFor();
    await d.filter({ hasText: 'No package has been uploaded for this release.' }).waitFor();
    await clickDialogButton(page, 'Approve');
    await answerInputBox(page, '', { title: 'Approve 3.61.0.0' });
    const sentence = 'Approve Release: Release 3.61.0.0 has no package yet: upload the package first, then download it, test it and approve it.';
    await until(async () => (await toasts(page)).some((t) => t.includes(sentence)), 'the server\'s sentence in a notification');
    await screenshot(page, '06-approve-without-package-refused');
    assert.equal((await api<ReleaseView>('/releases/3.61.0.0')).body.state, 'pending');
    await page.keyboard.press('Escape');
  });

  it('the Audit view shows the policy edit with its diff and the approval with its note (filtered by what)', async () => {
    const { page } = stack();
    await openAudit();
    await filterAuditBy('Policy edits');
    await until(async () => {
      const top = (await rowLabels(page, 'Audit')).filter((l) => /, (just now|\d+ \w+ ago)$/.test(l));
      return top.length > 0 && top.every((l) => / changed the policy of /.test(l));
    }, 'the Audit view to list only policy edits');
    await waitForRow(page, 'Audit', /^admin changed the policy of Warehouse, /);
    await waitForRow(page, 'Audit', /^mode: Auto Upgrade → Only upgrade to$/);
    await waitForRow(page, 'Audit', /^pinnedVersion: — → 3\.59\.127\.0$/);
    await screenshot(page, '06-audit-policy-diff');
    await filterAuditBy('Approvals');
    await until(async () => {
      const top = (await rowLabels(page, 'Audit')).filter((l) => /, (just now|\d+ \w+ ago)$/.test(l));
      return top.length > 0 && top.every((l) => / approved /.test(l));
    }, 'the Audit view to list only approvals');
    await waitForRow(page, 'Audit', /^admin approved 3\.59\.228\.0, /);
    await waitForRow(page, 'Audit', /^note: e2e: tested on the bench$/);
    await screenshot(page, '06-audit-approval-note');
    await runCommand(page, 'Update Fleet: Clear Audit Filter');
  });

  it('the status bar goes offline when the server stops, and comes back by itself', async () => {
    const { page } = stack();
    const health = (await api<SummaryResponse>('/summary')).body.overall;
    await until(async () => (await statusText(page)).includes('up to date'), 'the status bar to show fleet health');
    await stack().stopServer();
    await until(async () => (await statusText(page)).includes('Update Fleet: offline'), 'the status bar to say offline');
    await screenshot(page, '06-status-bar-offline');
    await stack().startServerAgain();
    await until(async () => (await statusText(page)).includes('up to date'), 'the status bar to show fleet health again');
    assert.ok(!(await statusText(page)).includes('offline'));
    assert.ok(health.total > 0);
    await screenshot(page, '06-status-bar-back');
  });
});
