// Where the fleet server is and who we are to it. The URL comes from the setting updateFleet.serverUrl (or the
// environment variable UPDATE_FLEET_SERVER_URL the demo launcher sets); the token lives in SecretStorage (or comes
// from UPDATE_FLEET_TOKEN for the demo) — never in settings, never in the log.
import * as vscode from 'vscode';
import { FleetApiError, FleetClient, type WhoAmI } from './fleetClient';
import type { Log } from './log';

export const SECRET_KEY_PREFIX = 'updateFleet.token:';
export const CONTEXT_CONNECTED = 'updateFleet.connected';
export const CONTEXT_SIGNED_IN = 'updateFleet.signedIn';

export type ConnectionState =
  | { kind: 'no-server' }
  | { kind: 'unreachable'; url: string; message: string }
  | { kind: 'signed-out'; url: string; message?: string }
  | { kind: 'signed-in'; url: string; serverVersion: string; /** The token's name and role (whoami); absent on servers without it. */ who?: WhoAmI };

/** How often the server is probed: the status bar shows "offline" within two probes of losing it. */
export const HEARTBEAT_MS = 3_000;
/** A probe that takes longer than this counts as a lost server. */
export const PROBE_TIMEOUT_MS = 3_000;

export { roleAllows } from './presentation';

export class Connection implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ConnectionState>();
  readonly onDidChange = this.changed.event;
  private current: ConnectionState = { kind: 'no-server' };
  private fleet: FleetClient | undefined;
  private fleetToken: string | undefined;
  /** After Sign Out, a token from the environment is not used again in this session. */
  private envTokenIgnored = false;
  private readonly disposables: vscode.Disposable[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private probing = false;

  constructor(private readonly secrets: vscode.SecretStorage, private readonly log: Log, heartbeatMs = HEARTBEAT_MS) {
    this.heartbeat = setInterval(() => void this.beat(), heartbeatMs);
    this.disposables.push(
      { dispose: () => clearInterval(this.heartbeat) },
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

  /** A light probe while connected or offline: losing the server (or getting it back) refreshes the state. */
  private async beat(): Promise<void> {
    const s = this.current;
    if (this.probing || this.refreshing || s.kind === 'no-server' || !this.fleet) return;
    this.probing = true;
    try {
      let up = true;
      let why = '';
      try {
        await this.fleet.health(PROBE_TIMEOUT_MS);
      } catch (err) {
        up = false;
        why = (err as Error).message;
      }
      if (up && s.kind === 'unreachable') await this.refresh();
      // Lost: say so now (a second probe could take as long again on a server that hangs).
      else if (!up && s.kind !== 'unreachable' && this.current === s && !this.refreshing) await this.publish({ kind: 'unreachable', url: s.url, message: why });
    } finally {
      this.probing = false;
    }
  }

  /**
   * Switch to another server, but only once it answers: a failed connect keeps the working connection and the
   * setting as they were (throws the reason).
   */
  async setServerUrl(url: string): Promise<void> {
    const clean = url.trim().replace(/\/+$/, '');
    if (clean !== this.serverUrl()) {
      try {
        await new FleetClient(clean, undefined, PROBE_TIMEOUT_MS * 2).health();
      } catch (err) {
        const e = err as FleetApiError;
        throw new FleetApiError(e.status ?? 0, e.code ?? 'unreachable', `${e.message} The connection to ${this.serverUrl() ?? 'the previous server'} is kept.`);
      }
    }
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
        const health = await fleet.health(PROBE_TIMEOUT_MS * 2);
        if (!token) {
          next = { kind: 'signed-out', url };
        } else {
          try {
            await fleet.summary();
            const who = await fleet.whoami().catch(() => undefined);
            next = { kind: 'signed-in', url, serverVersion: health.version, ...(who ? { who } : {}) };
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
    return this.publish(next);
  }

  private async publish(next: ConnectionState): Promise<ConnectionState> {
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
    case 'signed-in': return `signed in to ${s.url} ${s.who ? `as ${s.who.name} (${s.who.role})` : ''} (server ${s.serverVersion})`.replace(/\s+/g, ' ');
  }
}
