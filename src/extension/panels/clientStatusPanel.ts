// Host of the "Client Status" panel: search, filters, a server-paged table, history, chart, CSV export.
import * as vscode from 'vscode';
import { CLIENT_STATES } from '../../core/types';
import { sortReleasesNewestFirst } from '../presentation';
import { exportClientsCsv } from '../commands/exportCsv';
import { requireClient, type FleetServices } from '../services';
import { CLIENT_STATUS_METHODS, CLIENT_STATUS_VIEW_TYPE, type ClientFilter, type ClientStatusPush, type ClientStatusRequests, type ClientStatusState } from './messages';
import { onServerSwitch, PanelHost } from './panelHost';
import { CLIENT_STATE_LABEL } from '../presentation';
import { panelHtml, webviewRoots } from './webviewHtml';

export class ClientStatusPanel implements vscode.Disposable {
  static current: ClientStatusPanel | undefined;
  private readonly host: PanelHost<ClientStatusRequests, ClientStatusPush>;
  private readonly disposables: vscode.Disposable[] = [];

  static show(svc: FleetServices, filter?: Partial<ClientFilter>, selectId?: string): ClientStatusPanel {
    let p = ClientStatusPanel.current;
    if (p) {
      p.panel.reveal();
    } else {
      const panel = vscode.window.createWebviewPanel(CLIENT_STATUS_VIEW_TYPE, 'Client Status', vscode.ViewColumn.Active, ClientStatusPanel.options(svc.extensionUri));
      p = new ClientStatusPanel(svc, panel);
    }
    if (filter || selectId) p.host.push({ type: 'setFilter', filter: filter ?? {}, ...(selectId ? { selectId } : {}) });
    return p;
  }

  static revive(svc: FleetServices, panel: vscode.WebviewPanel, _state: ClientStatusState | undefined): void {
    panel.webview.options = ClientStatusPanel.options(svc.extensionUri);
    ClientStatusPanel.current?.panel.dispose();
    new ClientStatusPanel(svc, panel);
  }

  static options(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return { enableScripts: true, retainContextWhenHidden: false, localResourceRoots: webviewRoots(extensionUri) };
  }

  private constructor(private readonly svc: FleetServices, readonly panel: vscode.WebviewPanel) {
    ClientStatusPanel.current = this;
    panel.iconPath = vscode.Uri.joinPath(svc.extensionUri, 'media', 'fleet.svg');
    this.host = new PanelHost<ClientStatusRequests, ClientStatusPush>(panel, CLIENT_STATUS_METHODS, {
      init: async () => {
        const client = requireClient(svc);
        const [groups, releases, summary] = await Promise.all([client.groups(), client.releases(), client.summary()]);
        // Versions clients run (some may predate every registered release), newest first.
        const known = new Set(releases.map((r) => r.version));
        const running = Object.keys(summary.overall.byVersion).filter((v) => !known.has(v)).map((version) => ({ version }));
        const pageSize = vscode.workspace.getConfiguration('updateFleet').get<number>('pageSize') ?? 50;
        return {
          groups: groups.map((g) => ({ id: g.id, name: g.name })),
          versions: sortReleasesNewestFirst([...releases, ...running]).map((r) => r.version),
          pageSize: Math.max(10, Math.min(500, pageSize)),
        };
      },
      query: ({ filter, cursor, limit }) =>
        requireClient(svc).clients({ q: filter.q.trim(), group: filter.group, state: filter.state, version: filter.version, cursor, limit }),
      detail: ({ id }) => requireClient(svc).client(id),
      summary: async ({ group }) => {
        const s = await requireClient(svc).summary();
        return group ? (s.byGroup[group] ?? null) : s.overall;
      },
      exportCsv: async ({ state }) => ({ saved: await exportClientsCsv(svc, state) }),
    }, svc.log);
    panel.webview.html = panelHtml(panel.webview, svc.extensionUri, { title: 'Client Status', script: 'clientStatus/main.js', css: 'clientStatus.css', body: clientStatusBody() });
    this.disposables.push(
      this.host,
      panel.onDidDispose(() => this.dispose()),
      onServerSwitch(svc.connection, () => this.host.push({ type: 'serverChanged' })),
      // Already throttled by FleetEvents; only bother the webview while it can be seen.
      svc.model.onDidChangeClients(() => {
        if (this.panel.visible) this.host.push({ type: 'fleetChanged' });
      }),
    );
  }

  dispose(): void {
    if (ClientStatusPanel.current === this) ClientStatusPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}

function clientStatusBody(): string {
  const stateOptions = CLIENT_STATES.map((s) => `<vscode-option value="${s}">${CLIENT_STATE_LABEL[s]}</vscode-option>`).join('');
  return `<main id="client-status-root">
<header class="panel-header">
  <h1>Client Status</h1>
  <span id="clients-count" class="status" role="status"></span>
</header>
<div class="toolbar" role="search">
  <vscode-textfield id="search-input" placeholder="Search name, computer, IP or last user (no wildcards)" aria-label="Search clients">
    <vscode-icon slot="content-before" name="search" title="search"></vscode-icon>
  </vscode-textfield>
  <vscode-single-select id="filter-group" aria-label="Group"><vscode-option value="">All groups</vscode-option></vscode-single-select>
  <vscode-single-select id="filter-state" aria-label="State"><vscode-option value="">All states</vscode-option>${stateOptions}</vscode-single-select>
  <vscode-single-select id="filter-version" aria-label="Version" combobox><vscode-option value="">All versions</vscode-option></vscode-single-select>
  <vscode-button id="search-button" icon="search">Search</vscode-button>
  <vscode-button id="clear-button" secondary icon="clear-all">Clear</vscode-button>
  <vscode-button id="export-button" secondary icon="desktop-download">Export CSV</vscode-button>
</div>
<div id="clients-error" class="banner error-banner" hidden></div>
<div class="layout">
  <section class="table-section">
    <vscode-table id="clients-table" zebra bordered-rows>
      <vscode-table-header slot="header">
        <vscode-table-header-cell>Name</vscode-table-header-cell>
        <vscode-table-header-cell>Computer</vscode-table-header-cell>
        <vscode-table-header-cell>IP</vscode-table-header-cell>
        <vscode-table-header-cell>Version</vscode-table-header-cell>
        <vscode-table-header-cell>State</vscode-table-header-cell>
        <vscode-table-header-cell>Reason</vscode-table-header-cell>
        <vscode-table-header-cell>Last seen</vscode-table-header-cell>
      </vscode-table-header>
      <vscode-table-body slot="body" id="clients-body"></vscode-table-body>
    </vscode-table>
    <div class="pager">
      <vscode-button id="prev-page" secondary icon="chevron-left" disabled>Previous</vscode-button>
      <span id="page-info" class="muted"></span>
      <vscode-button id="next-page" secondary icon-after="chevron-right" disabled>Next</vscode-button>
    </div>
  </section>
  <aside class="side">
    <section>
      <h2>Versions</h2>
      <div id="version-chart" class="chart" role="img" aria-label="Clients by version"></div>
    </section>
    <section>
      <h2>History <span id="history-title" class="muted"></span></h2>
      <div id="client-history" class="history"><p class="muted">Select a client to see its history.</p></div>
    </section>
  </aside>
</div>
</main>`;
}
