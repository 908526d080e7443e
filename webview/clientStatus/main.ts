// Browser code of "Client Status": keyword search, filters, a table paged by the server's cursor (one page in
// the DOM at a time, so 100k clients stay fast), a client's history, a version chart, Export CSV.
import type { Client, ClientState, HealthSummary } from '../../src/core/types';
import type { ClientDetail } from '../../src/core/wire';
import type { ClientFilter, ClientStatusPush, ClientStatusRequests, ClientStatusState } from '../../src/extension/panels/messages';
import { clientStateText } from '../../src/extension/presentation';
import { $, createRpc, el, replaceTableBody, setOptions, setValue, valueOf } from '../shared/rpc';

const rpc = createRpc<ClientStatusRequests, ClientStatusPush, ClientStatusState>();

let filter: ClientFilter = { q: '', group: '', state: '', version: '', ...(rpc.getState()?.filter ?? {}) };
let selectedId: string | undefined = rpc.getState()?.selectId;
let pageSize = 50;
/** cursors[i] opens page i (undefined for the first page). */
let cursors: (string | undefined)[] = [undefined];
let pageIndex = 0;
let nextCursor: string | undefined;
let seq = 0;
let initialised = false;
let pendingPush: ClientStatusPush[] = [];

function saveState(): void {
  rpc.setState({ filter, ...(selectedId ? { selectId: selectedId } : {}) });
}

function showError(message: string | undefined): void {
  const b = $('clients-error');
  b.textContent = message ?? '';
  b.hidden = !message;
}

function disable(id: string, d: boolean): void {
  (($(id) as unknown) as { disabled: boolean }).disabled = d;
}

function readFilter(): ClientFilter {
  return { q: valueOf('search-input'), group: valueOf('filter-group'), state: valueOf('filter-state') as ClientState | '', version: valueOf('filter-version') };
}

function writeFilter(f: ClientFilter): void {
  setValue('search-input', f.q);
  setValue('filter-group', f.group);
  setValue('filter-state', f.state);
  setValue('filter-version', f.version);
}

function ago(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  const s = Math.round((Date.now() - t) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

function row(c: Client): HTMLElement {
  const r = el(
    'vscode-table-row',
    { id: `client-row-${c.id}`, 'data-client-id': c.id, tabindex: '0', class: c.id === selectedId ? 'selected' : '' },
    el('vscode-table-cell', {}, c.name),
    el('vscode-table-cell', {}, c.computer),
    el('vscode-table-cell', {}, c.ip),
    el('vscode-table-cell', {}, c.version + (c.targetVersion && c.targetVersion !== c.version ? ` → ${c.targetVersion}` : '')),
    el('vscode-table-cell', { class: `state state-${c.state}` }, el('span', { class: `codicon codicon-${stateIcon(c.state)}` }), ` ${clientStateText(c)}`),
    el('vscode-table-cell', { title: c.reason ?? '' }, c.reason ?? ''),
    el('vscode-table-cell', { title: c.lastSeen }, ago(c.lastSeen)),
  );
  return r;
}

function stateIcon(s: ClientState): string {
  const icons: Record<ClientState, string> = {
    'up-to-date': 'pass', available: 'arrow-circle-up', downloading: 'cloud-download', staged: 'package',
    'installed-pending-restart': 'debug-restart', deferred: 'clock', declined: 'circle-slash', failed: 'error',
    'manual-required': 'tools', waiting: 'watch', unknown: 'question',
  };
  return icons[s] ?? 'question';
}

/** Load the current page; `keepPage` re-reads it in place (live updates). */
async function query(keepPage = false): Promise<void> {
  if (!keepPage) {
    cursors = [undefined];
    pageIndex = 0;
  }
  const mine = ++seq;
  const root = $('client-status-root');
  root.dataset.loading = 'true';
  try {
    const page = await rpc.request('query', { filter, cursor: cursors[pageIndex], limit: pageSize });
    if (mine !== seq) return;
    showError(undefined);
    nextCursor = page.nextCursor;
    const rows = page.items.map(row);
    if (rows.length === 0) rows.push(el('vscode-table-row', { id: 'clients-empty' }, el('vscode-table-cell', {}, 'No clients match.')));
    replaceTableBody('clients-body', rows);
    const first = pageIndex * pageSize + (page.items.length ? 1 : 0);
    const last = pageIndex * pageSize + page.items.length;
    // A capped total is a floor: "10,000+" (the server stops counting a broad search there).
    const totalText = page.total !== undefined ? `${page.total.toLocaleString('en-US')}${page.totalCapped ? '+' : ''}` : undefined;
    const of = totalText !== undefined ? ` of ${totalText}` : '';
    $('page-info').textContent = `${first.toLocaleString('en-US')}–${last.toLocaleString('en-US')}${of}`;
    $('clients-count').textContent =
      totalText !== undefined ? `${totalText} client${page.total === 1 && !page.totalCapped ? '' : 's'}` : `${page.items.length} shown`;
    root.dataset.total = String(page.total ?? '');
    root.dataset.rows = String(page.items.length);
    disable('prev-page', pageIndex === 0);
    disable('next-page', !nextCursor);
  } catch (err) {
    if (mine === seq) showError((err as Error).message);
  } finally {
    if (mine === seq) root.dataset.loading = 'false';
  }
}

async function select(id: string): Promise<void> {
  selectedId = id;
  saveState();
  for (const r of $('clients-body').querySelectorAll('vscode-table-row')) r.classList.toggle('selected', (r as HTMLElement).dataset.clientId === id);
  const box = $('client-history');
  try {
    const d = await rpc.request('detail', { id });
    if (selectedId !== id) return;
    renderHistory(d);
  } catch (err) {
    box.replaceChildren(el('p', { class: 'error' }, (err as Error).message));
  }
}

function renderHistory(d: ClientDetail): void {
  $('history-title').textContent = `— ${d.name}`;
  const facts = el(
    'dl',
    { class: 'facts', id: 'client-facts' },
    el('dt', {}, 'Computer'), el('dd', {}, d.computer),
    el('dt', {}, 'IP (reported)'), el('dd', {}, d.ip),
    el('dt', {}, 'Connected from'), el('dd', {}, d.address ?? '—'),
    el('dt', {}, 'Last user'), el('dd', {}, d.user || '—'),
    el('dt', {}, 'Group'), el('dd', {}, d.groupName ?? d.groupId),
    el('dt', {}, 'Version'), el('dd', {}, d.version),
    el('dt', {}, 'State'), el('dd', {}, `${clientStateText(d)}${d.reason ? ` — ${d.reason}` : ''}`),
    el('dt', {}, 'Last seen'), el('dd', {}, new Date(d.lastSeen).toLocaleString()),
  );
  const list = el('ol', { class: 'history-list', id: 'client-history-list' });
  for (const h of [...(d.history ?? [])].reverse()) {
    list.append(
      el(
        'li',
        { class: `state-${h.state}` },
        el('span', { class: `codicon codicon-${stateIcon(h.state)}` }),
        el('span', { class: 'when' }, new Date(h.at).toLocaleString()),
        el('span', { class: 'what' }, `${clientStateText(h)} · ${h.version}${h.targetVersion ? ` → ${h.targetVersion}` : ''}`),
        ...(h.reason ? [el('span', { class: 'reason' }, h.reason)] : []),
      ),
    );
  }
  if (!d.history?.length) list.append(el('li', { class: 'muted' }, 'No history yet.'));
  $('client-history').replaceChildren(facts, list);
}

const SVG = 'http://www.w3.org/2000/svg';

function renderChart(s: HealthSummary | null): void {
  const box = $('version-chart');
  if (!s || s.total === 0) {
    box.replaceChildren(el('p', { class: 'muted' }, 'No clients.'));
    return;
  }
  const entries = Object.entries(s.byVersion).sort((a, b) => b[1] - a[1]);
  const top = entries.slice(0, 10);
  const rest = entries.slice(10).reduce((n, [, c]) => n + c, 0);
  if (rest > 0) top.push(['other', rest]);
  const max = Math.max(...top.map(([, c]) => c));
  box.replaceChildren(
    ...top.map(([version, count]) => {
      const svg = document.createElementNS(SVG, 'svg');
      svg.setAttribute('class', 'bar-svg');
      svg.setAttribute('viewBox', '0 0 100 10');
      svg.setAttribute('preserveAspectRatio', 'none');
      svg.setAttribute('aria-hidden', 'true');
      const rect = document.createElementNS(SVG, 'rect');
      rect.setAttribute('class', version === filter.version ? 'bar bar-selected' : 'bar');
      rect.setAttribute('width', String(Math.max(1, (count / max) * 100)));
      rect.setAttribute('height', '10');
      svg.append(rect);
      const pct = Math.round((count / s.total) * 1000) / 10;
      const r = el(
        'div',
        { class: 'bar-row', 'data-version': version, title: `${version}: ${count.toLocaleString('en-US')} clients (${pct}%)`, role: 'button', tabindex: '0' },
        el('span', { class: 'bar-label' }, version),
        svg,
        el('span', { class: 'bar-value' }, `${count.toLocaleString('en-US')} · ${pct}%`),
      );
      if (version !== 'other') r.addEventListener('click', () => applyFilter({ ...filter, version: filter.version === version ? '' : version }));
      return r;
    }),
  );
}

async function chart(): Promise<void> {
  try {
    renderChart(await rpc.request('summary', { group: filter.group }));
  } catch (err) {
    $('version-chart').replaceChildren(el('p', { class: 'error' }, (err as Error).message));
  }
}

function applyFilter(f: ClientFilter): void {
  const groupChanged = f.group !== filter.group;
  const versionChanged = f.version !== filter.version;
  filter = f;
  writeFilter(f);
  saveState();
  void query();
  if (groupChanged || versionChanged) void chart();
}

let searchTimer: ReturnType<typeof setTimeout> | undefined;
function onFilterInput(immediate: boolean): void {
  if (searchTimer) clearTimeout(searchTimer);
  const run = () => {
    const f = readFilter();
    if (JSON.stringify(f) !== JSON.stringify(filter)) applyFilter(f);
  };
  if (immediate) run();
  else searchTimer = setTimeout(run, 300);
}

function handlePush(m: ClientStatusPush): void {
  if (m.type === 'setFilter') {
    if (m.selectId) selectedId = m.selectId;
    applyFilter({ ...filter, ...m.filter });
    void chart();
    if (m.selectId) void select(m.selectId);
  } else if (m.type === 'serverChanged') {
    // Another server: its groups, versions and clients are not these.
    selectedId = undefined;
    filter = { q: '', group: '', state: '', version: '' };
    cursors = [undefined];
    pageIndex = 0;
    $('client-history').replaceChildren();
    saveState();
    void init();
  } else if (m.type === 'fleetChanged') {
    void query(true);
    void chart();
    if (selectedId) void select(selectedId);
  }
}

$('search-input').addEventListener('input', () => onFilterInput(false));
$('search-input').addEventListener('keydown', (e) => {
  if ((e as KeyboardEvent).key === 'Enter') onFilterInput(true);
});
for (const id of ['filter-group', 'filter-state', 'filter-version']) $(id).addEventListener('change', () => onFilterInput(true));
$('search-button').addEventListener('click', () => {
  filter = readFilter();
  saveState();
  void query();
  void chart();
});
$('clear-button').addEventListener('click', () => applyFilter({ q: '', group: '', state: '', version: '' }));
$('prev-page').addEventListener('click', () => {
  if (pageIndex === 0) return;
  pageIndex--;
  void query(true);
});
$('next-page').addEventListener('click', () => {
  if (!nextCursor) return;
  cursors[pageIndex + 1] = nextCursor;
  pageIndex++;
  void query(true);
});
$('export-button').addEventListener('click', async () => {
  const status = $('clients-count');
  const before = status.textContent;
  try {
    const r = await rpc.request('exportCsv', { state: filter.state });
    if (r.saved) {
      status.textContent = `Saved ${r.saved}`;
      $('client-status-root').dataset.exported = r.saved;
    } else status.textContent = before;
  } catch (err) {
    showError((err as Error).message);
  }
});
$('clients-table').addEventListener('click', (e) => {
  const r = (e.target as HTMLElement).closest('vscode-table-row') as HTMLElement | null;
  if (r?.dataset.clientId) void select(r.dataset.clientId);
});
$('clients-table').addEventListener('keydown', (e) => {
  if ((e as KeyboardEvent).key !== 'Enter') return;
  const r = (e.target as HTMLElement).closest('vscode-table-row') as HTMLElement | null;
  if (r?.dataset.clientId) void select(r.dataset.clientId);
});

saveState(); // restored after a reload even before the first search
rpc.onPush((m) => {
  if (!initialised) pendingPush.push(m);
  else handlePush(m);
});
rpc.ready();

async function init(): Promise<void> {
  await customElements.whenDefined('vscode-single-select');
  try {
    const r = await rpc.request('init', {});
    pageSize = r.pageSize;
    await setOptions('filter-group', [{ value: '', label: 'All groups' }, ...r.groups.map((g) => ({ value: g.id, label: g.name }))], filter.group);
    await setOptions('filter-version', [{ value: '', label: 'All versions' }, ...r.versions.map((v) => ({ value: v, label: v }))], filter.version);
  } catch (err) {
    showError((err as Error).message);
  }
  writeFilter(filter);
  initialised = true;
  const queued = pendingPush;
  pendingPush = [];
  if (queued.some((p) => p.type === 'setFilter')) {
    for (const p of queued) handlePush(p);
  } else {
    void query();
    void chart();
    if (selectedId) void select(selectedId);
  }
}
void init();
