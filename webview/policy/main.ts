// Browser code of "Policy — <group>": every policy field, inline validation with core validatePolicy,
// Preview impact (from the server's dry run), Save. Talks to the server only through the extension.
import { validatePolicy, type PolicyFieldError } from '../../src/core/policy';
import type { DecisionAction, Policy } from '../../src/core/types';
import type { PolicyPreviewResponse } from '../../src/core/wire';
import type { PolicyPanelState, PolicyPush, PolicyRequests, VersionOption } from '../../src/extension/panels/messages';
import { pinnedWarning } from '../../src/extension/policyText';
import { $, checkedOf, createRpc, el, replaceTableBody, setChecked, setOptions, setValue, show, valueOf } from '../shared/rpc';

const rpc = createRpc<PolicyRequests, PolicyPush, PolicyPanelState>();
const root = $('policy-root');
let groupId = rpc.getState()?.groupId ?? root.dataset.groupId ?? '';
let baseline: Policy | undefined;
let versions: VersionOption[] = [];
let ringGroups: Array<{ id: string; name: string }> = [];
let loading = false;
/** Set when the signed-in role may not save (the reason, shown before anyone tries). */
let readOnly: string | undefined;

const FIELD_IDS: Record<PolicyFieldError['field'], string> = {
  mode: 'policy-mode',
  pinnedVersion: 'policy-pinned-version',
  channel: 'policy-channel',
  delivery: 'policy-delivery',
  remindOptionsDays: 'policy-remind-days',
  window: 'policy-window',
  'window.start': 'policy-window-start',
  'window.end': 'policy-window-end',
  'window.timeZone': 'policy-window-tz',
  allowDowngrade: 'policy-allow-downgrade',
  checkIntervalSeconds: 'policy-check-interval',
  startupDelaySeconds: 'policy-startup-delay',
  rolloutPercent: 'policy-rollout',
  failureThresholdPercent: 'policy-failure-threshold',
  ring: 'policy-ring',
  'ring.groupId': 'policy-ring-group',
  'ring.minInstalledPercent': 'policy-ring-installed',
  'ring.maxFailedPercent': 'policy-ring-failed',
  'ring.afterHours': 'policy-ring-hours',
  // Fleet-wide now: an error about it is a policy-level message.
  minimumAutoUpgradeVersion: 'policy-errors',
  policy: 'policy-errors',
};

const ACTION_LABEL: Record<DecisionAction, string> = {
  none: 'No change',
  offer: 'Offered',
  force: 'Forced',
  downgrade: 'Downgrade',
  manual: 'Manual install',
};

function num(id: string): number {
  const v = valueOf(id).trim();
  return v === '' ? Number.NaN : Number(v);
}

/** The policy as typed, before validation (numbers may be NaN, lists may hold junk: validatePolicy says so). */
function readForm(): Policy {
  const days = valueOf('policy-remind-days')
    .split(/[,\s]+/)
    .filter((s) => s !== '')
    .map((s) => Number(s));
  const mode = valueOf('policy-mode') as Policy['mode'];
  return {
    mode,
    pinnedVersion: mode === 'pinned' ? valueOf('policy-pinned-version').trim() : valueOf('policy-pinned-version').trim() || null,
    channel: valueOf('policy-channel') as Policy['channel'],
    delivery: valueOf('policy-delivery') as Policy['delivery'],
    remindOptionsDays: days,
    window: checkedOf('policy-window-enabled')
      ? { start: valueOf('policy-window-start').trim(), end: valueOf('policy-window-end').trim(), timeZone: valueOf('policy-window-tz').trim() }
      : null,
    allowDowngrade: checkedOf('policy-allow-downgrade'),
    checkIntervalSeconds: num('policy-check-interval'),
    startupDelaySeconds: num('policy-startup-delay'),
    rolloutPercent: num('policy-rollout'),
    failureThresholdPercent: num('policy-failure-threshold'),
    ring: checkedOf('policy-ring-enabled')
      ? { groupId: valueOf('policy-ring-group'), minInstalledPercent: num('policy-ring-installed'), maxFailedPercent: num('policy-ring-failed'), afterHours: num('policy-ring-hours') }
      : null,
  };
}

async function fillForm(p: Policy): Promise<void> {
  loading = true;
  try {
    setValue('policy-mode', p.mode);
    const opts = versions.map((v) => ({ value: v.version, label: v.version, description: `${v.state}${v.channel === 'beta' ? ' · beta' : ''}` }));
    if (p.pinnedVersion && !opts.some((o) => o.value === p.pinnedVersion)) opts.unshift({ value: p.pinnedVersion, label: p.pinnedVersion, description: 'not registered' });
    await setOptions('policy-pinned-version', [{ value: '', label: '—' }, ...opts], p.pinnedVersion ?? '');
    setValue('policy-channel', p.channel);
    setValue('policy-delivery', p.delivery);
    setValue('policy-remind-days', p.remindOptionsDays.join(', '));
    setChecked('policy-window-enabled', p.window !== null);
    setValue('policy-window-start', p.window?.start ?? '22:00');
    setValue('policy-window-end', p.window?.end ?? '06:00');
    setValue('policy-window-tz', p.window?.timeZone ?? 'UTC');
    setChecked('policy-allow-downgrade', p.allowDowngrade);
    setValue('policy-check-interval', String(p.checkIntervalSeconds));
    setValue('policy-startup-delay', String(p.startupDelaySeconds));
    setValue('policy-rollout', String(p.rolloutPercent));
    setValue('policy-failure-threshold', String(p.failureThresholdPercent));
    const ring = p.ring ?? null;
    const ringOpts = ringGroups.map((g) => ({ value: g.id, label: g.name }));
    if (ring && !ringOpts.some((o) => o.value === ring.groupId)) ringOpts.unshift({ value: ring.groupId, label: ring.groupId });
    await setOptions('policy-ring-group', [{ value: '', label: '—' }, ...ringOpts], ring?.groupId ?? '');
    setChecked('policy-ring-enabled', ring !== null);
    setValue('policy-ring-installed', String(ring?.minInstalledPercent ?? 90));
    setValue('policy-ring-failed', String(ring?.maxFailedPercent ?? 5));
    setValue('policy-ring-hours', String(ring?.afterHours ?? 24));
  } finally {
    loading = false;
  }
  onEdit();
}

function setStatus(text: string): void {
  $('policy-status').textContent = text;
}

function normalized(p: Policy): string {
  const v = validatePolicy(p);
  return JSON.stringify(v.ok ? v.policy : p);
}

function isDirty(p: Policy): boolean {
  return !!baseline && normalized(p) !== normalized(baseline);
}

/** Validate on every keystroke; mark each field; enable or disable Preview and Save. */
function onEdit(): ReturnType<typeof validatePolicy> {
  const p = readForm();
  const mode = p.mode;
  (($('policy-pinned-version') as unknown) as { disabled: boolean }).disabled = mode !== 'pinned';
  (($('policy-remind-days') as unknown) as { disabled: boolean }).disabled = p.delivery !== 'on-demand';
  show('window-fields', checkedOf('policy-window-enabled'));
  show('ring-fields', checkedOf('policy-ring-enabled'));
  for (const id of Object.values(FIELD_IDS)) {
    const err = document.getElementById(`error-${id}`);
    if (err) err.textContent = '';
    document.getElementById(id)?.removeAttribute('invalid');
  }
  const v = validatePolicy(p);
  const general: string[] = [];
  if (!v.ok) {
    for (const e of v.errors) {
      const id = FIELD_IDS[e.field] ?? 'policy-errors';
      const slot = document.getElementById(`error-${id}`);
      if (slot) {
        slot.textContent = slot.textContent ? `${slot.textContent} ${e.message}` : e.message;
        document.getElementById(id)?.setAttribute('invalid', '');
      } else {
        general.push(e.message);
      }
    }
  }
  $('policy-errors').textContent = general.join(' ');
  const warning = pinnedWarning(p, versions);
  $('policy-pinned-warning').textContent = warning ?? '';
  show('policy-pinned-warning', !!warning);
  show('policy-errors', general.length > 0);
  const buttons = ['preview-button', 'save-button'];
  for (const b of buttons) (($(b) as unknown) as { disabled: boolean }).disabled = !v.ok || !baseline || (b === 'save-button' && !!readOnly);
  if (!loading && baseline) {
    const dirty = isDirty(p);
    setStatus(v.ok ? (dirty ? 'Unsaved changes' : 'Saved') : `${v.errors.length} problem${v.errors.length === 1 ? '' : 's'} to fix`);
    rpc.setState({ groupId, ...(dirty ? { draft: p } : {}) });
  }
  root.dataset.valid = String(v.ok);
  return v;
}

function renderPreview(r: PolicyPreviewResponse): void {
  show('preview', true);
  $('preview-total').textContent = `— ${r.total.toLocaleString('en-US')} client${r.total === 1 ? '' : 's'} in the group`;
  const counts = $('preview-counts');
  counts.replaceChildren(
    ...(Object.keys(ACTION_LABEL) as DecisionAction[]).map((a) =>
      el('div', { class: `count count-${a}`, id: `preview-count-${a}` }, el('span', { class: 'count-value' }, String(r.counts[a] ?? 0)), el('span', { class: 'count-label' }, ACTION_LABEL[a])),
    ),
  );
  const rows = r.clients.map((row) =>
      el(
        'vscode-table-row',
        { 'data-client-id': row.client.id },
        el('vscode-table-cell', {}, row.client.name),
        el('vscode-table-cell', {}, row.client.version),
        el('vscode-table-cell', { class: `action-${row.action}` }, ACTION_LABEL[row.action]),
        el('vscode-table-cell', {}, row.targetVersion ?? '—'),
        el('vscode-table-cell', { title: row.reason }, row.message),
      ),
  );
  if (rows.length === 0) rows.push(el('vscode-table-row', {}, el('vscode-table-cell', {}, 'No clients in this group.')));
  replaceTableBody('preview-body', rows);
}

async function load(): Promise<void> {
  setStatus('Loading…');
  show('policy-load-error', false);
  try {
    const r = await rpc.request('load', {});
    versions = r.versions;
    ringGroups = r.ringGroups ?? [];
    readOnly = r.readOnly;
    $('policy-readonly').textContent = readOnly ?? '';
    show('policy-readonly', !!readOnly);
    baseline = r.policy;
    $('policy-title').textContent = `Policy — ${r.group.name}`;
    document.title = `Policy — ${r.group.name}`;
    const draft = rpc.getState()?.draft;
    await fillForm(draft ?? r.policy);
    show('policy-changed', false);
  } catch (err) {
    $('policy-load-error').textContent = (err as Error).message;
    show('policy-load-error', true);
    setStatus('Could not load');
  }
}

async function preview(): Promise<void> {
  const v = onEdit();
  if (!v.ok) return;
  setStatus('Computing the preview…');
  try {
    renderPreview(await rpc.request('preview', { policy: v.policy }));
    setStatus(isDirty(v.policy) ? 'Unsaved changes · preview shown' : 'Preview shown');
  } catch (err) {
    $('policy-errors').textContent = (err as Error).message;
    show('policy-errors', true);
    setStatus('Preview failed');
  }
}

async function save(): Promise<void> {
  const v = onEdit();
  if (!v.ok) return;
  setStatus('Saving…');
  try {
    const r = await rpc.request('save', { policy: v.policy });
    baseline = r.policy;
    rpc.setState({ groupId });
    await fillForm(r.policy);
    setStatus(`Saved at ${new Date().toLocaleTimeString()}`);
    root.dataset.saved = String(Date.now());
  } catch (err) {
    $('policy-errors').textContent = (err as Error).message;
    show('policy-errors', true);
    setStatus('Not saved');
  }
}

for (const id of Object.values(FIELD_IDS)) {
  const e = document.getElementById(id);
  e?.addEventListener('input', () => onEdit());
  e?.addEventListener('change', () => onEdit());
}
$('policy-window-enabled').addEventListener('change', () => onEdit());
$('policy-ring-enabled').addEventListener('change', () => onEdit());
$('preview-button').addEventListener('click', () => void preview());
$('save-button').addEventListener('click', () => void save());
$('revert-button').addEventListener('click', () => {
  rpc.setState({ groupId });
  if (baseline) void fillForm(baseline);
});
$('reload-button').addEventListener('click', () => {
  rpc.setState({ groupId });
  void load();
});
$('policy-form').addEventListener('submit', (e) => e.preventDefault());

rpc.onPush((m) => {
  if (m.type === 'init') {
    if (m.groupId !== groupId) {
      groupId = m.groupId;
      rpc.setState({ groupId });
    }
  } else if (m.type === 'serverChanged') {
    rpc.setState({ groupId });
    show('preview', false);
    void load();
  } else if (m.type === 'policyChanged') {
    const p = readForm();
    if (isDirty(p)) show('policy-changed', true);
    else void load();
  }
});

rpc.setState({ groupId, ...(rpc.getState()?.draft ? { draft: rpc.getState()!.draft } : {}) });
rpc.ready();
void customElements.whenDefined('vscode-single-select').then(load);
