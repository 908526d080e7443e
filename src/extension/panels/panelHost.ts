// The host half of the typed request/reply protocol: dispatches webview requests to handlers, queues pushes
// until the webview says it is ready.
import * as vscode from 'vscode';
import type { Connection } from '../connection';
import type { Log } from '../log';
import { isReady, isRequest, type ReplyMessage, type RequestMap } from './messages';

/**
 * Calls `onSwitch` when the console is signed in to another server than before (not on a reconnect to the same
 * one): panels start over with the new server's data.
 */
export function onServerSwitch(connection: Connection, onSwitch: () => void): vscode.Disposable {
  let url = connection.state.kind === 'signed-in' ? connection.state.url : undefined;
  return connection.onDidChange((s) => {
    if (s.kind !== 'signed-in') return;
    if (url !== undefined && s.url !== url) onSwitch();
    url = s.url;
  });
}

export type Handlers<M extends RequestMap> = { [K in keyof M]: (params: M[K]['params']) => Promise<M[K]['result']> };

export class PanelHost<M extends RequestMap, P> implements vscode.Disposable {
  private ready = false;
  private queue: P[] = [];
  private readonly sub: vscode.Disposable;
  private readonly readyEmitter = new vscode.EventEmitter<void>();
  /** Fires each time the webview (re)loads its script and says hello. */
  readonly onReady = this.readyEmitter.event;

  constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly methods: readonly (keyof M & string)[],
    private readonly handlers: Handlers<M>,
    private readonly log: Log,
  ) {
    this.sub = panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m));
  }

  get isReady(): boolean {
    return this.ready;
  }

  push(message: P): void {
    if (!this.ready) {
      this.queue.push(message);
      return;
    }
    void this.panel.webview.postMessage(message);
  }

  private async receive(m: unknown): Promise<void> {
    if (isReady(m)) {
      this.ready = true;
      const q = this.queue;
      this.queue = [];
      for (const p of q) void this.panel.webview.postMessage(p);
      this.readyEmitter.fire();
      return;
    }
    if (!isRequest<M>(m, this.methods)) {
      this.log.warn(`Ignored an unknown message from a panel: ${JSON.stringify(m).slice(0, 200)}`);
      return;
    }
    let reply: ReplyMessage;
    try {
      const handler = this.handlers[m.method] as (p: unknown) => Promise<unknown>;
      reply = { type: 'reply', id: m.id, ok: true, result: await handler(m.params) };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.error(`Panel request ${m.method} failed: ${message}`);
      reply = { type: 'reply', id: m.id, ok: false, error: message };
    }
    void this.panel.webview.postMessage(reply);
  }

  dispose(): void {
    this.sub.dispose();
    this.readyEmitter.dispose();
  }
}
