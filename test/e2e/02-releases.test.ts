// Approve from the command palette and roll back with the modal confirmation: the server changes, the trees follow.
import assert from 'node:assert/strict';
import type { CheckinRequest, CheckinResponse, ReleaseView } from '../../src/core/wire';
import { api, clientToken, stack } from './fixture';
import { answerInputBox, clickDialogButton, dialog, pickQuickItem, rowLabels, runCommand, screenshot, showFleetViews, until, waitForRow } from './workbench';

async function release(version: string): Promise<ReleaseView> {
  const r = await api<ReleaseView>(`/releases/${encodeURIComponent(version)}`);
  assert.equal(r.status, 200, `GET /api/v1/releases/${version}: ${r.text}`);
  return r.body;
}

describe('releases: approve and roll back from the workbench', () => {
  it('Update Fleet: Approve Release… (F1 → quick pick → confirm) approves 3.59.228.0 on the server and in the trees', async () => {
    const { page } = stack();
    await showFleetViews(page);
    assert.equal((await release('3.59.228.0')).state, 'pending', 'the demo release waits for approval');
    await runCommand(page, 'Update Fleet: Approve Release…');
    await pickQuickItem(page, '3.59.228.0', { title: 'Approve Release' });
    await dialog(page).filter({ hasText: 'Approve 3.59.228.0?' }).waitFor();
    await screenshot(page, '02-approve-confirmation');
    await clickDialogButton(page, 'Approve');
    // The note goes with the approval into the audit log (06 looks for it in the Audit view).
    await answerInputBox(page, 'e2e: tested on the bench', { title: 'Approve 3.59.228.0' });
    await until(async () => (await release('3.59.228.0')).state === 'approved', 'GET /api/v1/releases/3.59.228.0 to say approved');
    await waitForRow(page, 'Releases', /^Release 3\.59\.228\.0, .*Approved$/);
    // Approvals: no longer waiting; listed among the recent decisions, with who decided.
    await until(async () => !(await rowLabels(page, 'Approvals')).some((l) => /^Release 3\.59\.228\.0,/.test(l)), '3.59.228.0 to leave "Waiting for approval"');
    await waitForRow(page, 'Approvals', /^3\.59\.228\.0: pending → approved by admin\b/);
    await screenshot(page, '02-approved');
  });

  it('Update Fleet: Roll Back Release… asks in a modal dialog, then revokes 3.59.228.0 and moves its clients to 3.59.127.0', async () => {
    const { page } = stack();
    if ((await release('3.59.228.0')).state !== 'approved') {
      // The previous test failed before approving: approve through the API so this one still tests the rollback.
      await api('/releases/3.59.228.0/approve', { body: {} });
    }
    // Two machines already run 3.59.228.0 (they upgraded after the approval).

    const machines: CheckinRequest[] = [1, 2].map((i) => ({ clientId: `e2e-early-${i}`, name: `Early ${i}`, computer: `E2E-EARLY-0${i}`, ip: `10.251.0.${i}`, user: 'e2e.early', version: '3.59.228.0' }));
    for (const m of machines) assert.equal((await api('/agent/v1/checkin', { body: m, token: await clientToken(m.clientId) })).status, 200);
    await runCommand(page, 'Update Fleet: Roll Back Release…');
    await pickQuickItem(page, '3.59.228.0', { title: 'Roll Back Release' });
    const d = dialog(page).filter({ hasText: 'Roll back 3.59.228.0 to 3.59.127.0?' });
    await d.waitFor();
    await d.filter({ hasText: '2 clients on 3.59.228.0 will move to 3.59.127.0' }).waitFor();
    await screenshot(page, '02-rollback-confirmation');
    await clickDialogButton(page, 'Roll Back');
    await answerInputBox(page, '', { title: 'Roll back 3.59.228.0' });
    await until(async () => (await release('3.59.228.0')).state === 'revoked', 'GET /api/v1/releases/3.59.228.0 to say revoked');
    assert.equal((await release('3.59.127.0')).state, 'approved', 'the target stays approved');
    await waitForRow(page, 'Releases', /^Release 3\.59\.228\.0, .*Revoked$/);
    await screenshot(page, '02-rolled-back');
    // Seed 000: their next check-in sends them back to the approved version below, whatever their group's policy.
    for (const m of machines) {
      const c = await api<CheckinResponse>('/agent/v1/checkin', { body: m, token: await clientToken(m.clientId) });
      assert.equal(c.body.action, 'downgrade', c.text);
      assert.equal(c.body.reason, 'rollback');
      assert.equal(c.body.version, '3.59.127.0');
    }
  });
});
