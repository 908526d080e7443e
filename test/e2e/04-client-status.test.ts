// The Client Status panel (a webview): keyword search, a state filter, and Export CSV through the save dialog;
// the file on disk is parsed back and compared with the server.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Frame } from 'playwright-core';
import type { Client } from '../../src/core/types';
import type { Page as WirePage, SummaryResponse } from '../../src/core/wire';
import { api, stack } from './fixture';
import { runCommand, screenshot, setControl, showFleetViews, until, webviewFrame } from './workbench';

async function settled(frame: Frame): Promise<{ total: string; rows: string }> {
  return until(async () => {
    const d = await frame.locator('#client-status-root').evaluate((e) => ({ ...(e as HTMLElement).dataset }));
    return d.loading === 'false' && d.rows !== undefined ? { total: d.total ?? '', rows: d.rows } : undefined;
  }, 'the client table to load');
}

describe('Client Status panel', () => {
  let frame: Frame;

  it('opens from the command palette and shows the fleet, one page at a time', async () => {
    const { page } = stack();
    await showFleetViews(page);
    await runCommand(page, 'Update Fleet: Show Client Status');
    await page.locator('.tab', { hasText: 'Client Status' }).waitFor();
    frame = await webviewFrame(page, '#client-status-root');
    const summary = (await api<SummaryResponse>('/summary')).body;
    await until(async () => (await settled(frame)).total === String(summary.overall.total), `the table total to be the fleet size ${summary.overall.total}`);
    assert.ok(Number((await settled(frame)).rows) > 0, 'rows are shown');
  });

  it('keyword search finds a client by its IP address (no wildcards)', async () => {
    const { page } = stack();
    const one = (await api<WirePage<Client>>('/clients?state=failed&limit=1')).body.items[0];
    assert.ok(one, 'the demo fleet has a failed client');
    const expected = (await api<WirePage<Client>>(`/clients?q=${encodeURIComponent(one.ip)}&limit=200`)).body;
    await frame.locator('#search-input input').fill(one.ip);
    await frame.locator(`[id="client-row-${one.id}"]`).waitFor();
    await until(async () => (await settled(frame)).rows === String(expected.items.length), `the table to show the ${expected.items.length} matches of ${one.ip}`);
    const cells = await frame.locator(`[id="client-row-${one.id}"] vscode-table-cell`).allTextContents();
    assert.ok(cells.some((c) => c.includes(one.ip)), `the row shows the IP (${cells.join(' | ')})`);
    assert.ok(cells.some((c) => c.includes('Failed')), 'the row shows the failure');
    await frame.locator(`[id="client-row-${one.id}"]`).click();
    await frame.locator('#client-facts').waitFor();
    await screenshot(page, '04-client-status-search');
  });

  it('Export CSV (failed upgrades) goes through the save dialog; the file holds every failed client with its reason', async () => {
    const { page, codeServer } = stack();
    await frame.locator('#search-input input').fill('');
    await setControl(frame, 'filter-state', 'failed');
    const failed = (await api<SummaryResponse>('/summary')).body.overall.failed;
    await until(async () => (await settled(frame)).total === String(failed), `the table to show the ${failed} failed clients`);
    await screenshot(page, '04-client-status-failed');

    const target = join(codeServer.folder, 'e2e-failed-upgrades.csv');
    await frame.locator('#export-button').click();
    // code-server's save dialog is VS Code's simple file dialog: a quick input holding the path.
    const widget = page.locator('.quick-input-widget');
    await widget.waitFor({ state: 'visible' });
    const input = widget.locator('.quick-input-box input');
    await until(async () => (await input.inputValue()).endsWith('.csv'), 'the save dialog to propose a .csv name');
    await screenshot(page, '04-export-save-dialog');
    await input.fill(target);
    await input.press('Enter');
    await until(async () => (await frame.locator('#client-status-root').getAttribute('data-exported')) === target, `the panel to report the export to ${target}`);

    assert.ok(existsSync(target), `${target} was written`);
    const text = readFileSync(target, 'utf8');
    const rows = parse(text, { columns: true, skip_empty_lines: true, bom: true }) as Record<string, string>[];
    assert.equal(rows.length, failed, `one CSV row per failed client (${failed})`);
    const columns = Object.keys(rows[0] ?? {});
    const stateCol = columns.find((c) => /state|status/i.test(c));
    const reasonCol = columns.find((c) => /reason/i.test(c));
    assert.ok(stateCol && reasonCol, `state and reason columns (${columns.join(', ')})`);
    for (const r of rows) {
      assert.match(r[stateCol], /fail/i, 'only failed clients');
      assert.ok(r[reasonCol].trim(), 'each failure has a reason');
    }
    const server = (await api<WirePage<Client>>('/clients?state=failed&limit=500')).body.items;
    const ids = new Set(server.map((c) => c.name));
    const nameCol = columns.find((c) => /^name$/i.test(c)) ?? columns.find((c) => /name/i.test(c));
    if (nameCol) for (const r of rows) assert.ok(ids.has(r[nameCol]), `${r[nameCol]} is a failed client on the server`);
    await screenshot(page, '04-exported');
  });
});
