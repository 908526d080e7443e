// The Policy panel (a webview): edit a group's policy, preview its impact, save, read it back from the server.
import assert from 'node:assert/strict';
import type { Policy } from '../../src/core/types';
import type { GroupView } from '../../src/core/wire';
import { api, stack } from './fixture';
import { collapseAll, pickQuickItem, runCommand, screenshot, setControl, showFleetViews, until, waitForRow, webviewFrame } from './workbench';

describe('Policy panel', () => {
  it('edits the Warehouse policy (Only upgrade to 3.59.127.0, another rollout share), previews it, saves it, and the server has it', async () => {
    const { page } = stack();
    await showFleetViews(page);
    const groups = (await api<GroupView[] | { items: GroupView[] }>('/groups')).body;
    const warehouse = (Array.isArray(groups) ? groups : groups.items).find((g) => g.name === 'Warehouse')!;
    assert.ok(warehouse, 'the demo fleet has a Warehouse group');
    const before = (await api<Policy>(`/groups/${encodeURIComponent(warehouse.id)}/policy`)).body;
    assert.notEqual(before.mode, 'pinned', 'Warehouse is not pinned in the demo fleet');
    const rollout = before.rolloutPercent === 25 ? 75 : 25;

    await runCommand(page, 'Update Fleet: Edit Policy…');
    await pickQuickItem(page, 'Warehouse', { title: 'Edit Policy' });
    await page.locator('.tab', { hasText: 'Policy — Warehouse' }).waitFor();
    const frame = await webviewFrame(page, '#policy-mode');
    // Loaded: the form shows the server's policy and Save is not yet needed.
    await until(async () => (await frame.locator('#policy-status').textContent())?.trim() === 'Saved', 'the policy to load ("Saved")');
    assert.equal(await frame.locator('#policy-mode').evaluate((e) => (e as unknown as { value: string }).value), before.mode, 'the form shows the server\'s mode');
    assert.equal(await frame.locator('#policy-rollout input').inputValue(), String(before.rolloutPercent), 'the form shows the server\'s rollout');

    // "Only upgrade to 3.59.127.0", and a different rollout share.
    await setControl(frame, 'policy-mode', 'pinned');
    await until(async () => !(await frame.locator('#policy-pinned-version').evaluate((e) => (e as unknown as { disabled: boolean }).disabled)), 'the version choice to be enabled');
    await setControl(frame, 'policy-pinned-version', '3.59.127.0');
    await frame.locator('#policy-rollout input').fill(String(rollout));
    await until(async () => (await frame.locator('#policy-status').textContent())?.includes('Unsaved changes'), 'the form to notice the edit');

    await frame.locator('#preview-button').click();
    await frame.locator('#preview-counts .count').first().waitFor();
    const total = await frame.locator('#preview-counts .count-value').allTextContents();
    assert.equal(total.reduce((n, t) => n + Number(t), 0), warehouse.clientCount, 'the preview covers every client of the group');
    await screenshot(page, '03-policy-preview');

    await frame.locator('#save-button').click();
    await until(async () => (await frame.locator('#policy-status').textContent())?.startsWith('Saved at'), 'the panel to say "Saved at …"');
    const after = (await api<Policy>(`/groups/${encodeURIComponent(warehouse.id)}/policy`)).body;
    assert.equal(after.mode, 'pinned', 'GET …/policy: mode');
    assert.equal(after.pinnedVersion, '3.59.127.0', 'GET …/policy: pinnedVersion');
    assert.equal(after.rolloutPercent, rollout, 'GET …/policy: rolloutPercent');
    assert.deepEqual(after.window, before.window, 'fields not edited are kept');
    assert.equal(after.allowDowngrade, before.allowDowngrade, 'fields not edited are kept');
    await collapseAll(page, 'Client Groups');
    await waitForRow(page, 'Client Groups', /^Warehouse .* · Only upgrade to 3\.59\.127\.0/);
    await screenshot(page, '03-policy-saved');
  });
});
