// The three trees of the Update Fleet view container show the demo fleet of the real server.
import assert from 'node:assert/strict';
import type { GroupView, ReleaseView, SummaryResponse } from '../../src/core/wire';
import { api, stack } from './fixture';
import { collapseAll, pane, rowLabels, screenshot, showFleetViews, treeRows, waitForRow } from './workbench';

describe('trees: Releases, Approvals, Client Groups', () => {
  it('Releases lists the demo releases newest first, with state and client counts', async () => {
    const { page } = stack();
    await showFleetViews(page);
    for (const v of ['4.0.0-beta.1', '3.59.228.0', '3.59.127.0', '3.58.0.0']) await waitForRow(page, 'Releases', new RegExp(`^Release ${v.replace(/\./g, '\\.')},`));
    const labels = await rowLabels(page, 'Releases');
    const server = (await api<ReleaseView[] | { items: ReleaseView[] }>('/releases')).body;
    const releases = Array.isArray(server) ? server : server.items;
    assert.equal(labels.length, releases.length, `one row per release on the server (${labels.join(' | ')})`);
    const approved = releases.find((r) => r.version === '3.59.127.0')!;
    assert.equal(approved.state, 'approved');
    assert.match(labels.find((l) => l.startsWith('Release 3.59.127.0,'))!, new RegExp(`${approved.clientCount.toLocaleString('en-US')} clients? · Approved`));
    assert.match(labels.find((l) => l.startsWith('Release 4.0.0-beta.1,'))!, /beta · .* · Download, test, and then approve/);
    assert.match(labels.find((l) => l.startsWith('Release 3.58.0.0,'))!, /No longer supported/);
    const order = labels.map((l) => /^Release ([^,]+),/.exec(l)?.[1]);
    assert.ok(order.indexOf('4.0.0-beta.1') < order.indexOf('3.59.228.0') && order.indexOf('3.59.228.0') < order.indexOf('3.59.127.0'), `newest first: ${order.join(', ')}`);
  });

  it('Approvals shows what waits for approval', async () => {
    const { page } = stack();
    await waitForRow(page, 'Approvals', /^Waiting for approval/);
    await waitForRow(page, 'Approvals', /^Release 3\.59\.228\.0,/);
    await waitForRow(page, 'Approvals', /^Release 4\.0\.0-beta\.1,/);
  });

  it('Client Groups lists the groups with their policy; a group opens to its clients', async () => {
    const { page } = stack();
    const groups = (await api<GroupView[] | { items: GroupView[] }>('/groups')).body;
    const list = Array.isArray(groups) ? groups : groups.items;
    for (const name of ['Pilot', 'Office', 'Warehouse']) {
      const g = list.find((x) => x.name === name);
      assert.ok(g, `the server has the group ${name}`);
      await waitForRow(page, 'Client Groups', new RegExp(`^${name} ${g.clientCount.toLocaleString('en-US')} clients? · `));
    }
    // Each group's row carries its health: the share current among its clients seen, as the server counts it.
    const summary = (await api<SummaryResponse>('/summary')).body;
    for (const name of ['Office', 'Warehouse']) {
      const h = summary.byGroup[list.find((x) => x.name === name)!.id]!;
      const pct = Number.isInteger(h.percentUpToDate) ? `${h.percentUpToDate}` : h.percentUpToDate.toFixed(1);
      await waitForRow(page, 'Client Groups', new RegExp(`^${name} .* · ${pct.replace('.', '\\.')}% up to date · `));
    }
    assert.ok(summary.byGroup.warehouse!.byHealth.waiting > 0, 'Warehouse (50% rollout, night window) has clients waiting, not counted as up to date');
    await waitForRow(page, 'Client Groups', /^Pilot .* · Auto Upgrade/);
    await waitForRow(page, 'Client Groups', /^Office .* · Only upgrade to 3\.59\.127\.0/);
    // Open Office: its clients appear under it.
    const office = treeRows(page, 'Client Groups').filter({ hasText: /^Office/ }).first();
    await office.locator('.monaco-tl-twistie').click();
    await office.and(page.locator('[aria-expanded="true"]')).waitFor();
    const clientRow = treeRows(page, 'Client Groups').and(page.locator('[aria-level="2"]')).first();
    await clientRow.waitFor();
    assert.ok((await clientRow.getAttribute('aria-label'))?.trim(), 'a client row has a label');
    await pane(page, 'Releases').hover();
    await screenshot(page, '01-trees');
    await collapseAll(page, 'Client Groups');
    await waitForRow(page, 'Client Groups', /^Warehouse /);
  });
});
