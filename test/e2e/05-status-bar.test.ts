// The status bar follows the fleet live: a client checks in and reports a failed upgrade through the agent API
// (as an update agent would), the server pushes the change, the status bar's failed count goes up.
import assert from 'node:assert/strict';
import type { CheckinRequest, ReportRequest, SummaryResponse } from '../../src/core/wire';
import { api, clientToken, stack } from './fixture';
import { STATUS_ITEM, screenshot, showFleetViews, statusText, until, webviewFrame } from './workbench';

describe('status bar', () => {
  it('shows fleet health and counts a failure a client has just reported', async () => {
    const { page } = stack();
    await showFleetViews(page);
    const before = (await api<SummaryResponse>('/summary')).body.overall;
    await until(async () => (await statusText(page)).includes(before.failed > 0 ? `· ${before.failed} failed` : 'up to date'), `the status bar to show ${before.failed} failed`);
    // Up to date means current: the share of the clients seen that run their group's target now. In the demo fleet
    // the machines on the retired 3.58.0.0 in Default (No Upgrade) are stored "up-to-date" but are not current, and
    // a few have not checked in for 12 days (not seen): the status bar shows the server's health, not the stored states.
    assert.ok(before.upToDate < (before.byState['up-to-date'] ?? 0), `current (${before.upToDate}) is fewer than stored up-to-date (${before.byState['up-to-date']})`);
    assert.ok(before.byHealth['not-seen'] > 0 && before.seen < before.total, JSON.stringify(before.byHealth));
    const pctText = (n: number) => (Number.isInteger(n) ? `${n}` : n.toFixed(1));
    await until(async () => {
      const now = (await api<SummaryResponse>('/summary')).body.overall;
      return (await statusText(page)).includes(`${pctText(now.percentUpToDate)}% up to date`);
    }, 'the status bar to show the share current among the clients seen');
    await screenshot(page, '05-status-bar-before');

    const clientId = `e2e-client-${Date.now().toString(36)}`;
    const checkin: CheckinRequest = { clientId, name: 'E2E-FAILING-PC', computer: 'E2E-PC-01', ip: '10.250.0.1', user: 'e2e.tester', version: '3.58.0.0' };
    const c = await api('/agent/v1/checkin', { body: checkin, token: await clientToken(clientId) });
    assert.equal(c.status, 200, `POST /agent/v1/checkin: ${c.text}`);
    const report: ReportRequest = { clientId, state: 'failed', version: '3.58.0.0', targetVersion: '3.59.127.0', reason: 'E2E: installer exited with code 1603 (disk full)' };
    const r = await api('/agent/v1/report', { body: report, token: await clientToken(clientId) });
    assert.equal(r.status, 200, `POST /agent/v1/report: ${r.text}`);

    const after = (await api<SummaryResponse>('/summary')).body.overall;
    assert.equal(after.failed, before.failed + 1, 'the server counts the new failure');
    await until(async () => (await statusText(page)).endsWith(`· ${after.failed} failed`), `the status bar to show ${after.failed} failed`);
    await screenshot(page, '05-status-bar-after');

    // Clicking it shows the failures, the new one among them.
    await page.locator(STATUS_ITEM).click();
    const frame = await webviewFrame(page, `[id="client-row-${clientId}"]`);
    const cells = await frame.locator(`[id="client-row-${clientId}"] vscode-table-cell`).allTextContents();
    assert.ok(cells.some((t) => t.includes('1603')), `the reason is shown (${cells.join(' | ')})`);
    await screenshot(page, '05-status-bar-failures');
  });
});
