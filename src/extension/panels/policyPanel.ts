// Host of the "Policy — <group>" panel: one panel per group, restored after a reload by its serializer.
import * as vscode from 'vscode';
import { validatePolicy } from '../../core/policy';
import type { Policy } from '../../core/types';
import { roleAllows, roleRefusal } from '../presentation';
import { requireClient, type FleetServices } from '../services';
import { type PolicyPanelState, type PolicyPush, type PolicyRequests, POLICY_METHODS, POLICY_VIEW_TYPE } from './messages';
import { onServerSwitch, PanelHost } from './panelHost';
import { escapeHtml, panelHtml, webviewRoots } from './webviewHtml';

export class PolicyPanel implements vscode.Disposable {
  static readonly panels = new Map<string, PolicyPanel>();
  private readonly host: PanelHost<PolicyRequests, PolicyPush>;
  private readonly disposables: vscode.Disposable[] = [];

  /** Open (or focus) the policy editor of a group. */
  static show(svc: FleetServices, groupId: string, groupName?: string): PolicyPanel {
    const existing = PolicyPanel.panels.get(groupId);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(POLICY_VIEW_TYPE, PolicyPanel.title(groupName ?? groupId), vscode.ViewColumn.Active, PolicyPanel.options(svc.extensionUri));
    return new PolicyPanel(svc, panel, groupId);
  }

  static revive(svc: FleetServices, panel: vscode.WebviewPanel, state: PolicyPanelState | undefined): void {
    if (!state?.groupId) {
      panel.dispose();
      return;
    }
    panel.webview.options = PolicyPanel.options(svc.extensionUri);
    PolicyPanel.panels.get(state.groupId)?.panel.dispose();
    new PolicyPanel(svc, panel, state.groupId);
  }

  static title(groupName: string): string {
    return `Policy — ${groupName}`;
  }

  static options(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return { enableScripts: true, retainContextWhenHidden: false, localResourceRoots: webviewRoots(extensionUri) };
  }

  private constructor(private readonly svc: FleetServices, readonly panel: vscode.WebviewPanel, readonly groupId: string) {
    PolicyPanel.panels.set(groupId, this);
    this.panel.iconPath = vscode.Uri.joinPath(svc.extensionUri, 'media', 'fleet.svg');
    this.host = new PanelHost<PolicyRequests, PolicyPush>(panel, POLICY_METHODS, {
      load: () => this.load(),
      preview: ({ policy }) => this.preview(policy),
      save: ({ policy }) => this.save(policy),
    }, svc.log);
    this.host.push({ type: 'init', groupId });
    this.panel.webview.html = panelHtml(panel.webview, svc.extensionUri, { title: PolicyPanel.title(groupId), script: 'policy/main.js', css: 'policy.css', body: policyBody(groupId) });
    this.disposables.push(
      this.host,
      panel.onDidDispose(() => this.dispose()),
      onServerSwitch(svc.connection, () => this.host.push({ type: 'serverChanged' })),
      svc.model.onDidChangePolicy(({ groupIds }) => {
        if (groupIds.includes(groupId)) this.host.push({ type: 'policyChanged' });
      }),
    );
  }

  private checked(policy: Policy): Policy {
    const v = validatePolicy(policy);
    if (!v.ok) throw new Error(v.errors.map((e) => `${e.field}: ${e.message}`).join(' '));
    return v.policy;
  }

  private async load(): Promise<PolicyRequests['load']['result']> {
    const client = requireClient(this.svc);
    const [groups, policy, releases] = await Promise.all([client.groups(), client.policy(this.groupId), client.releases()]);
    const group = groups.find((g) => g.id === this.groupId);
    if (!group) throw new Error(`The group ${this.groupId} no longer exists on the server.`);
    this.panel.title = PolicyPanel.title(group.name);
    const s = this.svc.connection.state;
    const readOnly = s.kind === 'signed-in' && s.who && !roleAllows(s.who, 'admin') ? roleRefusal('Saving a policy', s.who, 'admin') : undefined;
    const ringGroups = groups.filter((g) => g.id !== this.groupId).map((g) => ({ id: g.id, name: g.name }));
    return { group, policy, versions: releases.map((r) => ({ version: r.version, state: r.state, channel: r.channel })), ringGroups, ...(readOnly ? { readOnly } : {}) };
  }

  private preview(policy: Policy): Promise<PolicyRequests['preview']['result']> {
    return requireClient(this.svc).previewPolicy(this.groupId, this.checked(policy));
  }

  private async save(policy: Policy): Promise<PolicyRequests['save']['result']> {
    const saved = await requireClient(this.svc).putPolicy(this.groupId, this.checked(policy));
    this.svc.log.info(`Policy of group ${this.groupId} saved: mode ${saved.mode}${saved.pinnedVersion ? ` ${saved.pinnedVersion}` : ''}, ${saved.delivery}.`);
    void this.svc.model.reload();
    return { policy: saved };
  }

  dispose(): void {
    if (PolicyPanel.panels.get(this.groupId) === this) PolicyPanel.panels.delete(this.groupId);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}

function field(id: string, label: string, control: string, help = ''): string {
  return `<div class="field" id="field-${id}">
  <vscode-label for="${id}">${escapeHtml(label)}</vscode-label>
  ${control}
  ${help ? `<div class="help">${escapeHtml(help)}</div>` : ''}
  <div class="error" id="error-${id}" role="alert"></div>
</div>`;
}

function policyBody(groupId: string): string {
  return `<main id="policy-root" data-group-id="${escapeHtml(groupId)}">
<header class="panel-header">
  <h1 id="policy-title">Policy</h1>
  <span id="policy-status" class="status" role="status"></span>
</header>
<div id="policy-load-error" class="banner error-banner" hidden></div>
<div id="policy-readonly" class="banner" role="status" hidden></div>
<div id="policy-pinned-warning" class="banner warning-banner" role="status" hidden></div>
<div id="policy-changed" class="banner" hidden>This policy was changed on the server. <vscode-button id="reload-button" secondary>Reload</vscode-button></div>
<form id="policy-form" class="form-grid">
  <section>
    <h2>Upgrade</h2>
    ${field('policy-mode', 'Mode', `<vscode-single-select id="policy-mode">
      <vscode-option value="none" description="Clients keep their version">No Upgrade</vscode-option>
      <vscode-option value="auto" description="Clients move to the newest approved release">Auto Upgrade</vscode-option>
      <vscode-option value="pinned" description="Clients move to one version, and no further">Only upgrade to…</vscode-option>
    </vscode-single-select>`)}
    ${field('policy-pinned-version', 'Only upgrade to version', `<vscode-single-select id="policy-pinned-version" combobox></vscode-single-select>`, 'Used when the mode is "Only upgrade to".')}
    ${field('policy-channel', 'Channel', `<vscode-single-select id="policy-channel">
      <vscode-option value="stable">Stable releases only</vscode-option>
      <vscode-option value="beta">Stable and beta releases</vscode-option>
    </vscode-single-select>`)}
    <p class="hint" id="policy-min-version-note">The minimum version that can auto-upgrade is fleet-wide, not a group's: <b>Update Fleet: Set Minimum Auto-Upgrade Version…</b></p>
    <div class="field" id="field-policy-allow-downgrade">
      <vscode-checkbox id="policy-allow-downgrade" label="Allow client downgrade">Allow client downgrade</vscode-checkbox>
      <div class="error" id="error-policy-allow-downgrade" role="alert"></div>
    </div>
  </section>
  <section>
    <h2>Delivery</h2>
    ${field('policy-delivery', 'Delivery', `<vscode-single-select id="policy-delivery">
      <vscode-option value="forced">Forced: install without asking</vscode-option>
      <vscode-option value="on-demand">On demand: the user installs now or is reminded later</vscode-option>
    </vscode-single-select>`)}
    ${field('policy-remind-days', 'Reminder choices (days)', `<vscode-textfield id="policy-remind-days" placeholder="1, 3, 7"></vscode-textfield>`, 'Comma-separated, e.g. 1, 3, 7.')}
    <div class="field" id="field-policy-window-enabled">
      <vscode-checkbox id="policy-window-enabled" label="Distribute only in a time window">Distribute only in a time window</vscode-checkbox>
      <div class="error" id="error-policy-window" role="alert"></div>
    </div>
    <div class="window-fields" id="window-fields">
      ${field('policy-window-start', 'Window start (HH:MM)', `<vscode-textfield id="policy-window-start" placeholder="22:00"></vscode-textfield>`)}
      ${field('policy-window-end', 'Window end (HH:MM)', `<vscode-textfield id="policy-window-end" placeholder="06:00"></vscode-textfield>`)}
      ${field('policy-window-tz', 'Time zone', `<vscode-textfield id="policy-window-tz" placeholder="UTC"></vscode-textfield>`, 'IANA name, e.g. UTC or Europe/Berlin.')}
    </div>
  </section>
  <section>
    <h2>Checks and rollout</h2>
    ${field('policy-check-interval', 'Check interval (seconds)', `<vscode-textfield id="policy-check-interval" type="number" min="60"></vscode-textfield>`, '', )}
    ${field('policy-startup-delay', 'First check after start-up (seconds)', `<vscode-textfield id="policy-startup-delay" type="number" min="0"></vscode-textfield>`)}
    ${field('policy-rollout', 'Rollout (% of the group)', `<vscode-textfield id="policy-rollout" type="number" min="0" max="100"></vscode-textfield>`)}
    ${field('policy-failure-threshold', 'Halt the rollout above this failure rate (%)', `<vscode-textfield id="policy-failure-threshold" type="number" min="0" max="100"></vscode-textfield>`)}
  </section>
  <section>
    <h2>Ring</h2>
    <div class="field" id="field-policy-ring-enabled">
      <vscode-checkbox id="policy-ring-enabled" label="New releases wait until they succeed in another group">New releases wait until they succeed in another group</vscode-checkbox>
      <div class="error" id="error-policy-ring" role="alert"></div>
    </div>
    <div class="ring-fields" id="ring-fields">
      ${field('policy-ring-group', 'Group that goes first', `<vscode-single-select id="policy-ring-group"></vscode-single-select>`, 'Used in Auto Upgrade mode; releases approved before the ring was set are not held back.')}
      ${field('policy-ring-installed', 'At least this share installed there (%)', `<vscode-textfield id="policy-ring-installed" type="number" min="0" max="100"></vscode-textfield>`)}
      ${field('policy-ring-failed', 'Less than this share failed there (%)', `<vscode-textfield id="policy-ring-failed" type="number" min="0" max="100"></vscode-textfield>`)}
      ${field('policy-ring-hours', 'After this many hours there', `<vscode-textfield id="policy-ring-hours" type="number" min="0"></vscode-textfield>`)}
    </div>
  </section>
</form>
<div id="policy-errors" class="banner error-banner" hidden></div>
<div class="actions">
  <vscode-button id="preview-button" icon="eye">Preview impact</vscode-button>
  <vscode-button id="save-button" icon="save">Save</vscode-button>
  <vscode-button id="revert-button" secondary icon="discard">Revert</vscode-button>
</div>
<section id="preview" class="preview" hidden>
  <h2>Preview impact <span id="preview-total" class="muted"></span></h2>
  <div id="preview-counts" class="counts"></div>
  <vscode-table id="preview-table" zebra bordered-rows>
    <vscode-table-header slot="header">
      <vscode-table-header-cell>Client</vscode-table-header-cell>
      <vscode-table-header-cell>Version</vscode-table-header-cell>
      <vscode-table-header-cell>Decision</vscode-table-header-cell>
      <vscode-table-header-cell>Target</vscode-table-header-cell>
      <vscode-table-header-cell>Reason</vscode-table-header-cell>
    </vscode-table-header>
    <vscode-table-body slot="body" id="preview-body"></vscode-table-body>
  </vscode-table>
</section>
</main>`;
}
