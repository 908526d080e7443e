// Where the fleet server is and who we are to it. The URL comes from the setting updateFleet.serverUrl (or the
// environment variable UPDATE_FLEET_SERVER_URL the demo launcher sets); the token lives in SecretStorage (or comes
// from UPDATE_FLEET_TOKEN for the demo) — never in settings, never in the log.
import * as vscode from 'vscode';
import { FleetApiError, FleetClient } from './fleetClient';
import type { Log } from './log';

export const SECRET_KEY_PREFIX = 'updateFleet.token:';
export const CONTEXT_CONNECTED = 'updateFleet.connected';
export const CONTEXT_SIGNED_IN = 'updateFleet.signedIn';

export type ConnectionState =
  | { kind: 'no-server' }
  | { kind: 'unreachable'; url: string; message: string }
  | { kind: 'signed-out'; url: string; message?: string }
  | { kind: 'signed-in'; url: string; serverVersion: string };

export class Connection implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ConnectionState>();
  readonly onDidChange = this.changed.event;
  private current: ConnectionState = { kind: 'no-server' };
  private fleet: FleetClient | undefined;
  private fleetToken: string | undefined;
  /** After Sign Out, a token from the environment is not used again in this session. */
  private envTokenIgnored = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly secrets: vscode.SecretStorage, private readonly log: Log) {
    this.disposables.push(
      this.changed,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('updateFleet.serverUrl')) void this.refresh();
      }),
      secrets.onDidChange((e) => {
        if (e.key.startsWith(SECRET_KEY_PREFIX)) void this.refresh();
      }),
    );
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** The API client when signed in; undefined otherwise. */
  get client(): FleetClient | undefined {
    return this.current.kind === 'signed-in' ? this.fleet : undefined;
  }

  serverUrl(): string | undefined {
    const fromSetting = vscode.workspace.getConfiguration('updateFleet').get<string>('serverUrl')?.trim();
    const url = fromSetting || process.env.UPDATE_FLEET_SERVER_URL?.trim();
    return url ? url.replace(/\/+$/, '') : undefined;
  }

  private async token(url: string): Promise<string | undefined> {
    const stored = await this.secrets.get(SECRET_KEY_PREFIX + url);
    if (stored) return stored;
    // The launcher's token belongs to the launcher's server: never send it to another address.
    const envUrl = process.env.UPDATE_FLEET_SERVER_URL?.trim().replace(/\/+$/, '');
    if (!this.envTokenIgnored && process.env.UPDATE_FLEET_TOKEN && envUrl === url) return process.env.UPDATE_FLEET_TOKEN;
    return undefined;
  }

  async setServerUrl(url: string): Promise<void> {
    const clean = url.trim().replace(/\/+$/, '');
    await vscode.workspace.getConfiguration('updateFleet').update('serverUrl', clean, vscode.ConfigurationTarget.Global);
    await this.refresh();
  }

  /** Check the token against the server before keeping it. Throws FleetApiError when it is not accepted. */
  async signIn(token: string): Promise<void> {
    const url = this.serverUrl();
    if (!url) throw new FleetApiError(0, 'no-server', 'Connect to a fleet server first.');
    const probe = new FleetClient(url, token.trim());
    await probe.summary();
    await this.secrets.store(SECRET_KEY_PREFIX + url, token.trim());
    this.envTokenIgnored = false;
    await this.refresh();
  }

  async signOut(): Promise<void> {
    const url = this.serverUrl();
    if (url) await this.secrets.delete(SECRET_KEY_PREFIX + url);
    this.envTokenIgnored = true;
    await this.refresh();
  }

  private refreshing: Promise<ConnectionState> | undefined;

  /** Re-read URL and token, probe the server, update the context keys, tell listeners. */
  refresh(): Promise<ConnectionState> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async doRefresh(): Promise<ConnectionState> {
    const url = this.serverUrl();
    let next: ConnectionState;
    if (!url) {
      this.fleet = undefined;
      next = { kind: 'no-server' };
    } else {
      const token = await this.token(url);
      // Keep the same client while URL and token are unchanged, so listeners can tell a real change from a re-check.
      const fleet = this.fleet && this.fleet.baseUrl === url && this.fleetToken === token ? this.fleet : new FleetClient(url, token);
      this.fleetToken = token;
      try {
        const health = await fleet.health();
        if (!token) {
          next = { kind: 'signed-out', url };
        } else {
          try {
            await fleet.summary();
            next = { kind: 'signed-in', url, serverVersion: health.version };
          } catch (err) {
            const e = err as FleetApiError;
            if (e.status === 401 || e.status === 403) next = { kind: 'signed-out', url, message: e.message };
            else next = { kind: 'unreachable', url, message: e.message };
          }
        }
      } catch (err) {
        next = { kind: 'unreachable', url, message: (err as Error).message };
      }
      this.fleet = fleet;
    }
    const before = this.current;
    this.current = next;
    await vscode.commands.executeCommand('setContext', CONTEXT_CONNECTED, next.kind === 'signed-out' || next.kind === 'signed-in');
    await vscode.commands.executeCommand('setContext', CONTEXT_SIGNED_IN, next.kind === 'signed-in');
    if (before.kind !== next.kind || JSON.stringify(before) !== JSON.stringify(next)) {
      this.log.info(`Connection: ${describe(next)}`);
    }
    this.changed.fire(next);
    return next;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

export function describe(s: ConnectionState): string {
  switch (s.kind) {
    case 'no-server': return 'no fleet server configured';
    case 'unreachable': return `cannot reach ${s.url}: ${s.message}`;
    case 'signed-out': return `connected to ${s.url}, not signed in${s.message ? ` (${s.message})` : ''}`;
    case 'signed-in': return `signed in to ${s.url} (server ${s.serverVersion})`;
  }
}
