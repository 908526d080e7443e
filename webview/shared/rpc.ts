// The webview half of the typed request/reply protocol (see src/extension/panels/messages.ts).
import type { ReplyMessage, RequestMap } from '../../src/extension/panels/messages';

interface VsCodeApi<S> {
  postMessage(message: unknown): void;
  getState(): S | undefined;
  setState(state: S): void;
}

declare function acquireVsCodeApi<S>(): VsCodeApi<S>;

export interface Rpc<M extends RequestMap, P, S> {
  request<K extends keyof M & string>(method: K, params: M[K]['params']): Promise<M[K]['result']>;
  onPush(handler: (push: P) => void): void;
  ready(): void;
  getState(): S | undefined;
  setState(state: S): void;
}

export function createRpc<M extends RequestMap, P, S>(): Rpc<M, P, S> {
  const api = acquireVsCodeApi<S>();
  let next = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const handlers: ((p: P) => void)[] = [];
  window.addEventListener('message', (ev: MessageEvent) => {
    const m = ev.data as ReplyMessage | P;
    if (m && typeof m === 'object' && (m as ReplyMessage).type === 'reply') {
      const r = m as ReplyMessage;
      const w = waiting.get(r.id);
      if (!w) return;
      waiting.delete(r.id);
      if (r.ok) w.resolve(r.result);
      else w.reject(new Error(r.error));
      return;
    }
    for (const h of handlers) h(m as P);
  });
  return {
    request(method, params) {
      const id = next++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        api.postMessage({ type: 'request', id, method, params });
      });
    },
    onPush(h) {
      handlers.push(h);
    },
    ready() {
      api.postMessage({ type: 'ready' });
    },
    getState: () => api.getState(),
    setState: (s) => api.setState(s),
  };
}

// ---- small DOM helpers --------------------------------------------------------------------------

export function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing`);
  return el;
}

/** A vscode-elements control's value (textfield, single-select). */
export function valueOf(id: string): string {
  return String((($(id) as unknown) as { value?: string }).value ?? '');
}

export function setValue(id: string, value: string): void {
  (($(id) as unknown) as { value: string }).value = value;
}

export function checkedOf(id: string): boolean {
  return !!(($(id) as unknown) as { checked?: boolean }).checked;
}

export function setChecked(id: string, checked: boolean): void {
  (($(id) as unknown) as { checked: boolean }).checked = checked;
}

export function el(tag: string, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

/** Replace the options of a vscode-single-select, then select `value`. */
export async function setOptions(id: string, options: { value: string; label: string; description?: string }[], value: string): Promise<void> {
  const select = $(id);
  select.replaceChildren(...options.map((o) => el('vscode-option', { value: o.value, ...(o.description ? { description: o.description } : {}) }, o.label)));
  await customElements.whenDefined('vscode-single-select');
  await (select as unknown as { updateComplete?: Promise<unknown> }).updateComplete;
  // Let the select see its new options (slotchange) before the value is set.
  await new Promise((r) => setTimeout(r, 0));
  setValue(id, value);
}

export function show(id: string, visible: boolean): void {
  $(id).hidden = !visible;
}

/**
 * Put new rows in a vscode-table. The table sizes its cells when its body slot changes, so the body element is
 * replaced (keeping its id), not just its children.
 */
export function replaceTableBody(bodyId: string, rows: HTMLElement[]): HTMLElement {
  const old = $(bodyId);
  const body = el('vscode-table-body', { slot: 'body', id: bodyId }, ...rows);
  old.replaceWith(body);
  return body;
}
