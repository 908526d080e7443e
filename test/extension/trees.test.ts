import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { compareVersions } from '../../src/core/version';
import type { FleetExtensionApi } from '../../src/extension/extension';
import { eventually, http, registerRelease, serverEnv, signedInApi, uniqueVersion } from './helpers';

type Item = vscode.TreeItem & { release?: { id: string; version: string }; group?: { id: string; clientCount: number }; client?: { id: string } };

describe('trees (against a real fleet server)', function () {
  let api: FleetExtensionApi;

  before(async function () {
    if (!serverEnv()) this.skip();
    api = await signedInApi();
  });

  it('Releases: versions with approval-state icons, beta tag and client counts', async () => {
    const beta = await registerRelease({ version: uniqueVersion(), channel: 'beta' });
    await api.services.model.reload();
    const items = (await api.releasesTree.getChildren()) as Item[];
    assert.ok(items.length > 0, 'releases are listed');
    for (const i of items) {
      assert.match(String(i.contextValue), /^release\.(pending|approved|retired|revoked)$/);
      assert.ok(i.iconPath instanceof vscode.ThemeIcon, 'a ThemeIcon per state');
      assert.match(String(i.description), /clients?/);
    }
    const mine = items.find((i) => i.label === beta.version)!;
    assert.ok(mine, 'the new release appears');
    assert.equal(mine.contextValue, 'release.pending');
    assert.match(String(mine.description), /^beta · 0 clients · Download, test, and then approve$/);
    for (let i = 1; i < items.length; i++) {
      assert.ok(compareVersions(String(items[i - 1].label), String(items[i].label)) >= 0, `newest first: ${items[i - 1].label} before ${items[i].label}`);
    }
  });

  it('Approvals: what waits and what was recently decided', async () => {
    const sections = (await api.approvalsTree.getChildren()) as Item[];
    assert.deepEqual(sections.map((s) => s.label), ['Waiting for approval', 'Recently decided']);
    const pending = (await api.approvalsTree.getChildren(sections[0] as never)) as Item[];
    assert.ok(pending.some((p) => p.contextValue === 'release.pending'), 'pending releases are listed');
  });

  it('Client Groups: groups with counts, clients with state icons, Load more… pages', async () => {
    const groups = (await api.groupsTree.getChildren()) as Item[];
    assert.ok(groups.length > 0, 'groups are listed');
    for (const g of groups) assert.equal(g.contextValue, 'group');
    const big = groups.filter((g) => (g.group?.clientCount ?? 0) > 10).sort((a, b) => b.group!.clientCount - a.group!.clientCount)[0];
    if (!big) return; // the fleet is too small to page
    await vscode.workspace.getConfiguration('updateFleet').update('pageSize', 10, vscode.ConfigurationTarget.Global);
    try {
      api.groupsTree.reset();
      const first = (await api.groupsTree.getChildren(big as never)) as Item[];
      const clients = first.filter((c) => String(c.contextValue).startsWith('client.'));
      assert.equal(clients.length, 10, 'one page of 10');
      const more = first[first.length - 1];
      assert.equal(more.label, 'Load more…');
      assert.equal(more.command?.command, 'updateFleet.loadMoreClients');
      await vscode.commands.executeCommand(more.command!.command, ...(more.command!.arguments ?? []));
      const second = (await api.groupsTree.getChildren(big as never)) as Item[];
      const clients2 = second.filter((c) => String(c.contextValue).startsWith('client.'));
      assert.equal(clients2.length, 20, 'Load more… appends the next page');
      assert.equal(new Set(clients2.map((c) => c.client!.id)).size, 20, 'no duplicates');
    } finally {
      await vscode.workspace.getConfiguration('updateFleet').update('pageSize', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('the status bar shows the share current among the clients seen; the tooltip the rest; each group its own', async () => {
    const item = api.services.statusBar.item;
    await eventually(() => /^\$\(pulse\) [\d.]+% up to date/.test(item.text), `status bar text (was "${item.text}")`);
    type Health = { percentUpToDate: number; upToDate: number; seen: number; failed: number; byHealth: Record<string, number>; notSeenDays: number };
    const pctText = (n: number) => (Number.isInteger(n) ? `${n}` : n.toFixed(1));
    // The server's figures (health against each group's policy now) are what the console shows.
    await eventually(async () => {
      await api.services.model.reload();
      const summary = (await http().get('/summary')).data as { overall: Health; byGroup: Record<string, Health> };
      const o = summary.overall;
      const text = `$(pulse) ${pctText(o.percentUpToDate)}% up to date${o.failed > 0 ? ` · ${o.failed} failed` : ''}`;
      const tooltip = String(item.tooltip);
      const groups = (await api.groupsTree.getChildren()) as Item[];
      return item.text === text
        && tooltip.includes(`Up to date: ${o.upToDate.toLocaleString('en-US')} (${o.percentUpToDate}% of ${o.seen.toLocaleString('en-US')} seen)`)
        && (!o.byHealth['not-seen'] || tooltip.includes(`Not seen (no check-in for ${o.notSeenDays} days): ${o.byHealth['not-seen']}`))
        && (!o.byHealth.behind || tooltip.includes(`Behind: ${o.byHealth.behind.toLocaleString('en-US')}`))
        && groups.every((g) => {
          const h = summary.byGroup[g.group!.id];
          return !h || h.seen === 0 || String(g.description).includes(`${pctText(h.percentUpToDate)}% up to date`);
        });
    }, `the status bar, its tooltip and the group rows to show the server's health (was "${item.text}" / ${String(item.tooltip)})`);
    assert.deepEqual(item.command && typeof item.command === 'object' ? item.command.arguments : undefined, [{ state: 'failed' }]);
  });

  it('Client Groups: a client stored "up to date" on a retired version reads Behind, with why in its tooltip', async () => {
    // The demo's Default group (No Upgrade) holds machines on 3.58.0.0, retired ("no longer supported").
    api.groupsTree.reset();
    const groups = (await api.groupsTree.getChildren()) as Item[];
    const def = groups.find((g) => g.group?.id === 'default')!;
    const clients = (await api.groupsTree.getChildren(def as never)) as Array<Item & { client?: { version: string; state: string; health?: string } }>;
    const retired = clients.find((c) => c.client?.version === '3.58.0.0' && c.client.state === 'up-to-date');
    assert.ok(retired, `a Default client on 3.58.0.0 (${clients.map((c) => c.description).join(' | ')})`);
    assert.equal(retired.client!.health, 'behind');
    assert.equal(retired.description, '3.58.0.0 · Behind');
    assert.match((retired.tooltip as vscode.MarkdownString).value, /Health: Behind — 3\.58\.0\.0 is no longer supported \(retired\)/);
    assert.equal((retired.iconPath as vscode.ThemeIcon).id, 'warning', 'not the green "up to date" icon');
  });

  it('trees update live from the event stream', async () => {
    const v = uniqueVersion();
    await registerRelease({ version: v }); // registered by someone else: only the event stream tells us
    await eventually(async () => ((await api.releasesTree.getChildren()) as Item[]).some((i) => i.label === v), 'the new release to appear via SSE');
  });
});
