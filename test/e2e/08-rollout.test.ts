// Issue 11 on the workbench: a rollout halting after failures and the admin seeing it — the warning notification,
// the halted icon in Releases and Approvals — then resuming it from the notification, told what the resume reset.
// Clients check in and report through the agent API, as update agents would; the server halts the rollout by itself.
import assert from 'node:assert/strict';
import type { CheckinResponse, ReleaseView } from '../../src/core/wire';
import { api, clientToken, stack } from './fixture';
import type { Frame } from 'playwright-core';
import type { Policy } from '../../src/core/types';
import { answerInputBox, clickDialogButton, dialog, pane, pickQuickItem, runCommand, screenshot, setControl, showFleetViews, toasts, treeRows, until, waitForRow } from './workbench';

// Below the demo's approved 3.59.127.0, so only the group pinned to it takes it (the demo's auto groups do not).
const VERSION = '3.59.100.0';

function machine(id: string, version: string): Record<string, string> {
  return { clientId: id, name: `Canary ${id}`, computer: id.toUpperCase(), ip: '10.77.0.1', user: 'c.anary', version };
}

describe('a rollout halts and the admin resumes it (issue 11)', () => {
  it('failures halt the rollout: a notification, the halted icon in Releases and Approvals; Resume Rollout resets the failure count', async () => {
    const { page } = stack();
    // Each machine checks in and reports with its own credential, as a real agent does.
    const agent = async (path: string, body: Record<string, string>) => api<CheckinResponse>(path, { body, token: await clientToken(body.clientId!) });
    const reg = await api('/releases', { body: { version: VERSION, notes: 'canary build', url: 'https://packages.example/canary.tar.gz', sha256: 'cd'.repeat(32), size: 2048 } });
    assert.equal(reg.status, 201, reg.text);
    assert.equal((await api(`/releases/${VERSION}/approve`, { body: {} })).status, 200);
    const group = await api('/groups', { body: { name: 'Canary', policy: { mode: 'pinned', pinnedVersion: VERSION, delivery: 'forced', failureThresholdPercent: 20 } } });
    assert.equal(group.status, 201, group.text);
    const ids = Array.from({ length: 8 }, (_, i) => `canary-${i}`);
    for (const id of ids) {
      assert.equal((await agent('/agent/v1/checkin', machine(id, '3.58.0.0'))).status, 200);
      assert.equal((await api(`/clients/${id}`, { method: 'PATCH', body: { groupId: 'canary' } })).status, 200);
      assert.equal((await agent('/agent/v1/checkin', machine(id, '3.58.0.0'))).body.action, 'force');
    }
    // Two install it, four fail: 4 of 6 finished attempts (66.7%) failed, above the group's 20%.
    for (const id of ids.slice(0, 2)) await agent('/agent/v1/checkin', machine(id, VERSION));
    for (const id of ids.slice(2, 6)) {
      const r = await agent('/agent/v1/report', { clientId: id, state: 'failed', targetVersion: VERSION, reason: 'The installer exited with code 1603' });
      assert.equal(r.status, 200, r.text);
    }
    // The server weighs the outcomes behind the check-ins (re-read at most once a second): keep the fleet checking in.
    let poke = 0;
    await until(async () => {
      await agent('/agent/v1/checkin', machine(`canary-poke-${poke++}`, '3.58.0.0'));
      const r = await api<ReleaseView>(`/releases/${VERSION}`);
      return r.body.rollouts?.some((g) => g.groupId === 'canary' && g.state === 'halted');
    }, 'the server to halt the rollout');

    const halted = `The rollout of ${VERSION} is halted in Canary: 66.7% of clients failed (4 of 6), above the 20% threshold.`;
    await until(async () => (await toasts(page)).some((t) => t.includes(halted)), 'the halt notification');
    await showFleetViews(page);
    await waitForRow(page, 'Releases', new RegExp(`^Release ${VERSION.replace(/\./g, '\\.')}, .*rollout halted$`));
    const releaseRow = treeRows(page, 'Releases').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${VERSION.replace(/\./g, '\\.')}$`) }) }).first();
    await releaseRow.locator('.codicon-debug-stop').waitFor();
    await waitForRow(page, 'Approvals', /^Halted rollouts 1$/);
    const approvalsRow = treeRows(page, 'Approvals').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${VERSION.replace(/\./g, '\\.')}$`) }) }).first();
    await approvalsRow.locator('.codicon-debug-stop').waitFor();
    const c = await agent('/agent/v1/checkin', machine(ids[7], '3.58.0.0'));
    assert.equal(c.body.reason, 'rollout-halted');
    await screenshot(page, '08-rollout-halted');

    // Resume from the notification: the dialog says what the resume resets; the answer says what it did reset.
    await page.locator('.notifications-toasts .notification-list-item', { hasText: halted }).locator('.monaco-button', { hasText: 'Resume Rollout' }).click();
    const d = dialog(page).filter({ hasText: `Resume the rollout of ${VERSION} in Canary?` });
    await d.waitFor();
    await d.filter({ hasText: 'Resuming resets the failure count' }).waitFor();
    await clickDialogButton(page, 'Resume');
    await answerInputBox(page, 'installer fixed on the mirror', { title: `Resume the rollout of ${VERSION}` });
    await until(async () => (await toasts(page)).some((t) => t.includes(`The failure count of ${VERSION} starts again from zero: the 4 failed of 6 finished attempts so far no longer count`)), 'what the resume reset');
    await until(async () => !(await pane(page, 'Releases').locator('.monaco-list-row[aria-label*="rollout halted"]').count()), 'the halted mark to go');
    const after = await api<ReleaseView>(`/releases/${VERSION}`);
    assert.equal(after.body.rollouts?.find((g) => g.groupId === 'canary')?.state, 'running');
    assert.equal((await agent('/agent/v1/checkin', machine(ids[7], '3.58.0.0'))).body.action, 'force', 'offered again');
    const audit = await api<{ items: Array<{ actor: string; details: string }> }>('/audit?action=rollout.resume');
    assert.equal(audit.body.items[0]?.actor, 'admin');
    assert.equal(JSON.parse(audit.body.items[0].details).note, 'installer fixed on the mirror');
    await screenshot(page, '08-rollout-resumed');
  });

  it('the Policy panel sets a ring: new releases reach Canary once they succeeded in Pilot', async () => {
    const { page } = stack();
    await runCommand(page, 'Update Fleet: Edit Policy…');
    await pickQuickItem(page, 'Canary', { title: 'Edit Policy' });
    await page.locator('.tab', { hasText: 'Policy — Canary' }).waitFor();
    // Another group's panel may still hold its frame: take the one titled for Canary.
    const frame = await until(async () => {
      for (const f of page.frames()) {
        const title = await f.locator('#policy-title').textContent({ timeout: 500 }).catch(() => null);
        if (title === 'Policy — Canary') return f;
      }
      return undefined;
    }, 'the Canary policy panel') as Frame;
    await until(async () => (await frame.locator('#policy-status').textContent())?.trim() === 'Saved', 'the policy to load ("Saved")');
    await frame.locator('#policy-ring-enabled').evaluate((e) => {
      (e as unknown as { checked: boolean }).checked = true;
      e.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await setControl(frame, 'policy-ring-group', 'pilot');
    await frame.locator('#policy-ring-installed input').fill('90');
    await frame.locator('#policy-ring-failed input').fill('5');
    await frame.locator('#policy-ring-hours input').fill('12');
    await until(async () => (await frame.locator('#policy-status').textContent())?.includes('Unsaved changes'), 'the form to notice the ring');
    await screenshot(page, '08-policy-ring');
    await frame.locator('#save-button').click();
    await until(async () => (await frame.locator('#policy-status').textContent())?.startsWith('Saved at'), 'the panel to say "Saved at …"');
    const after = (await api<Policy>('/groups/canary/policy')).body;
    assert.deepEqual(after.ring, { groupId: 'pilot', minInstalledPercent: 90, maxFailedPercent: 5, afterHours: 12 });
  });
});
