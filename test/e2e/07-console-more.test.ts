// More of issue 11 on the workbench: a client sent back by the rollback of 02 reads "Rolling back"; a policy pinned
// to a revoked version warns; switching the server (another address) makes the open panels start over, and the
// signed-in role is named in the Releases view.
import assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { stack } from './fixture';
import {
  answerInputBox, paneHeader, pickQuickItem, runCommand, runCommandAsking, screenshot, setControl, showFleetViews, toasts, until, webviewFrame,
} from './workbench';

async function clientStatus(): Promise<Frame> {
  const { page } = stack();
  await runCommand(page, 'Update Fleet: Show Client Status');
  await page.locator('.tab', { hasText: 'Client Status' }).waitFor();
  return webviewFrame(page, '#client-status-root');
}

async function connectTo(url: string): Promise<void> {
  const { page } = stack();
  await runCommandAsking(page, 'Update Fleet: Connect to Server…', 'Connect to Fleet Server');
  await answerInputBox(page, url, { title: 'Connect to Fleet Server' });
}

describe('the console follows the truth (issue 11, continued)', () => {
  it('a client being rolled back reads "Rolling back", not "Update available"', async () => {
    const { page } = stack();
    const frame = await clientStatus();
    await frame.locator('#clear-button').click();
    await frame.locator('#search-input input').fill('E2E-EARLY-01');
    const row = frame.locator('[id="client-row-e2e-early-1"]');
    await row.waitFor();
    await until(async () => (await row.locator('vscode-table-cell').allTextContents()).some((t) => t.trim() === 'Rolling back'), 'the state "Rolling back"');
    await screenshot(page, '07-rolling-back');
  });

  it('a policy pinned to a revoked version shows a warning', async () => {
    const { page } = stack();
    await runCommandAsking(page, 'Update Fleet: Edit Policy…', 'Edit Policy');
    await pickQuickItem(page, 'Warehouse', { title: 'Edit Policy' });
    const frame = await webviewFrame(page, '#policy-mode');
    await until(async () => (await frame.locator('#policy-status').textContent())?.trim() === 'Saved', 'the policy to load');
    await setControl(frame, 'policy-mode', 'pinned');
    await setControl(frame, 'policy-pinned-version', '3.59.228.0');
    const warning = frame.locator('#policy-pinned-warning');
    await until(async () => (await warning.isVisible()) && (await warning.textContent())?.includes('3.59.228.0 is revoked'), 'the revoked-version warning');
    await screenshot(page, '07-policy-pinned-revoked');
    await frame.locator('#revert-button').click();
    await until(async () => !(await warning.isVisible()), 'the warning to go with the revert');
  });

  it('switching to another server address: sign in there, the panels start over; switching back restores', async () => {
    const { page, server } = stack();
    await showFleetViews(page);
    const frame = await clientStatus();
    await frame.locator('#search-input input').fill('E2E-EARLY');
    await until(async () => (await frame.locator('#client-status-root').getAttribute('data-loading')) === 'false', 'the search to run');
    const other = server.url.replace('127.0.0.1', 'localhost');
    await connectTo(other);
    // A new address has no token yet: the console says so and offers to sign in.
    const signIn = page.locator('.notifications-toasts .monaco-button', { hasText: 'Sign In…' });
    await signIn.waitFor();
    await signIn.click();
    await answerInputBox(page, server.adminToken, { title: 'Sign In to Fleet Server' });
    await page.locator(`${paneHeader('Releases')}[aria-label*="admin · admin"]`).waitFor();
    // The Client Status panel started over with the (new) server's data: the old search is gone.
    await until(async () => (await frame.locator('#search-input input').inputValue()) === '', 'the panel to drop the old search');
    await screenshot(page, '07-switched-server');
    assert.ok(!(await toasts(page)).some((t) => /failed/i.test(t)));
    await connectTo(server.url);
    await until(async () => (await toasts(page)).some((t) => t.includes(`signed in to ${server.url} as admin (admin)`)), 'the console to be signed in to the first address again');
  });
});
