// Typed messages between a panel host (extension) and its webview. Shared by src/extension/panels and webview/.
// No vscode import: the webview bundles this file too.
//
// Protocol: the webview posts {type:'ready'} once its script runs; the host answers with pushes it had queued
// (e.g. a filter). Webview → host requests carry an id; the host answers with a reply of the same id.
import type { Client, ClientDetail, ClientState, GroupView, HealthSummary, Page, Policy, PolicyPreviewResponse, ReleaseState } from '../../core';

export interface RequestSpec {
  params: unknown;
  result: unknown;
}
export type RequestMap = Record<string, RequestSpec>;

export interface ReadyMessage {
  type: 'ready';
}

export interface RequestMessage<M extends RequestMap, K extends keyof M & string = keyof M & string> {
  type: 'request';
  id: number;
  method: K;
  params: M[K]['params'];
}

export type ReplyMessage =
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: string };

export type WebviewToHost<M extends RequestMap> = ReadyMessage | RequestMessage<M>;

// ---- Policy — <group> ---------------------------------------------------------------------------

export const POLICY_VIEW_TYPE = 'updateFleet.policy';

/** What the webview keeps with vscode.setState, and the serializer gets back after a reload. */
export interface PolicyPanelState {
  groupId: string;
  /** Unsaved edits survive a reload too. */
  draft?: Policy;
}

export interface VersionOption {
  version: string;
  state: ReleaseState;
  channel: 'stable' | 'beta';
}

export type PolicyRequests = {
  load: { params: Record<string, never>; result: { group: GroupView; policy: Policy; versions: VersionOption[]; /** The other groups, for the ring. */ ringGroups: Array<{ id: string; name: string }>; /** Why Save is off for this role (a viewer may look and preview). */ readOnly?: string } };
  preview: { params: { policy: Policy }; result: PolicyPreviewResponse };
  save: { params: { policy: Policy }; result: { policy: Policy } };
};

export type PolicyPush =
  | { type: 'init'; groupId: string }
  /** Someone (or something) changed this group's policy on the server. */
  | { type: 'policyChanged' }
  /** The console now talks to another server: reload from it (a draft for the old server is dropped). */
  | { type: 'serverChanged' };

// ---- Client Status ------------------------------------------------------------------------------

export const CLIENT_STATUS_VIEW_TYPE = 'updateFleet.clientStatus';

export interface ClientFilter {
  /** Keyword: name, computer, IP or last user (no wildcards). */
  q: string;
  group: string;
  state: ClientState | '';
  version: string;
}

export const EMPTY_FILTER: ClientFilter = { q: '', group: '', state: '', version: '' };

export interface ClientStatusState {
  filter: ClientFilter;
  selectId?: string;
}

export type ClientStatusRequests = {
  init: { params: Record<string, never>; result: { groups: { id: string; name: string }[]; versions: string[]; pageSize: number } };
  query: { params: { filter: ClientFilter; cursor?: string; limit: number }; result: Page<Client> };
  detail: { params: { id: string }; result: ClientDetail };
  summary: { params: { group: string }; result: HealthSummary | null };
  exportCsv: { params: { state: ClientState | '' }; result: { saved: string | null } };
};

export type ClientStatusPush =
  | { type: 'setFilter'; filter: Partial<ClientFilter>; selectId?: string }
  /** Clients changed on the server: re-read the current page and the chart. */
  | { type: 'fleetChanged' }
  /** The console now talks to another server: start over. */
  | { type: 'serverChanged' };

export type HostToWebview<P> = ReplyMessage | P;

export function isReady(m: unknown): m is ReadyMessage {
  return typeof m === 'object' && m !== null && (m as ReadyMessage).type === 'ready';
}

export function isRequest<M extends RequestMap>(m: unknown, methods: readonly (keyof M & string)[]): m is RequestMessage<M> {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as RequestMessage<M>;
  return r.type === 'request' && typeof r.id === 'number' && methods.includes(r.method);
}

export const POLICY_METHODS: readonly (keyof PolicyRequests & string)[] = ['load', 'preview', 'save'];
export const CLIENT_STATUS_METHODS: readonly (keyof ClientStatusRequests & string)[] = ['init', 'query', 'detail', 'summary', 'exportCsv'];
