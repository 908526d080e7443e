// Test helpers for the in-host suite: the extension's API, a scripted UI layer (modal dialogs are refused in
// the test host), and direct HTTP access to the fleet server to set up and check data.
import { until } from '../helpers/poll';
import axios, { type AxiosInstance } from 'axios';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RegisterReleaseRequest, ReleaseView } from '../../src/core/wire';
import type { FleetExtensionApi } from '../../src/extension/extension';
import type { FleetUi, PickItem } from '../../src/extension/ui';

export const EXTENSION_ID = 'update-fleet.update-fleet';

export function serverEnv(): { url: string; token: string } | undefined {
  const url = process.env.UPDATE_FLEET_SERVER_URL;
  const token = process.env.UPDATE_FLEET_TOKEN;
  return url && token ? { url: url.replace(/\/+$/, ''), token } : undefined;
}

export async function fleetApi(): Promise<FleetExtensionApi> {
  const ext = vscode.extensions.getExtension<FleetExtensionApi>(EXTENSION_ID);
  if (!ext) throw new Error(`Extension ${EXTENSION_ID} is not installed in this VS Code.`);
  return ext.activate();
}

/** Signed in to the server from the environment, with the model loaded. */
export async function signedInApi(): Promise<FleetExtensionApi> {
  const api = await fleetApi();
  let s = await api.services.connection.refresh();
  if (s.kind !== 'signed-in') {
    const env = serverEnv()!;
    await api.services.connection.signIn(env.token);
    s = api.services.connection.state;
  }
  if (s.kind !== 'signed-in') throw new Error(`Not signed in: ${JSON.stringify(s)}`);
  await api.services.model.reload();
  return api;
}

export function http(): AxiosInstance {
  const env = serverEnv()!;
  return axios.create({ baseURL: `${env.url}/api/v1`, headers: { Authorization: `Bearer ${env.token}` }, adapter: 'http', proxy: false });
}

let seq = 0;
const runBase = Math.floor(Date.now() / 1000) % 1_000_000;
/** A version above anything in the demo data, unique per call and increasing within a run. */
export function uniqueVersion(): string {
  return `900.${runBase}.${seq++}`;
}

/** An external package (url + sha256): enough for the server to allow an approval. */
export const EXTERNAL_PACKAGE = { url: 'https://packages.example/update-fleet-test.tar.gz', sha256: 'ab'.repeat(32), size: 1024 } as const;

/** Registers a release; with a (fake, external) package unless `withPackage` is false. */
export async function registerRelease(req: RegisterReleaseRequest, withPackage = true): Promise<ReleaseView> {
  const res = await http().post<ReleaseView>('/releases', { channel: 'stable', notes: 'registered by the in-host suite', ...(withPackage ? EXTERNAL_PACKAGE : {}), ...req });
  return res.data;
}

export async function getRelease(id: string): Promise<ReleaseView> {
  return (await http().get<ReleaseView>(`/releases/${encodeURIComponent(id)}`)).data;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'update-fleet-test-'));
}

type PickAnswer = (items: readonly PickItem<unknown>[], title: string) => PickItem<unknown> | undefined;
type ConfirmAnswer = (message: string, detail: string, actions: readonly string[]) => string | undefined;

/** Answers what a command asks, in order; records what it shows. An unexpected question fails the test. */
export class ScriptedUi implements FleetUi {
  readonly picks: PickAnswer[] = [];
  readonly inputs: (string | undefined)[] = [];
  readonly confirms: ConfirmAnswer[] = [];
  readonly saves: (vscode.Uri | undefined)[] = [];
  readonly opens: (vscode.Uri | undefined)[] = [];
  readonly asked: { kind: string; title: string; detail?: string; actions?: readonly string[]; items?: string[] }[] = [];
  readonly infos: string[] = [];
  readonly errors: string[] = [];
  readonly progressTitles: string[] = [];

  pickLabel(label: string): this {
    this.picks.push((items) => items.find((i) => i.label === label));
    return this;
  }
  pickWhere(f: PickAnswer): this {
    this.picks.push(f);
    return this;
  }
  answerInput(v: string | undefined): this {
    this.inputs.push(v);
    return this;
  }
  confirmWith(f: ConfirmAnswer | string | undefined): this {
    this.confirms.push(typeof f === 'function' ? f : () => f);
    return this;
  }
  openFile(uri: vscode.Uri | undefined): this {
    this.opens.push(uri);
    return this;
  }
  saveTo(uri: vscode.Uri | undefined): this {
    this.saves.push(uri);
    return this;
  }

  async pick<T>(items: readonly PickItem<T>[], options: { title: string }): Promise<T | undefined> {
    this.asked.push({ kind: 'pick', title: options.title, items: items.map((i) => i.label) });
    const a = this.picks.shift();
    if (!a) throw new Error(`Unexpected quick pick: ${options.title}`);
    return (a(items as readonly PickItem<unknown>[], options.title) as PickItem<T> | undefined)?.value;
  }
  async input(options: { title: string; validate?: (v: string) => string | undefined }): Promise<string | undefined> {
    this.asked.push({ kind: 'input', title: options.title });
    if (this.inputs.length === 0) throw new Error(`Unexpected input box: ${options.title}`);
    const v = this.inputs.shift();
    const problem = v !== undefined ? options.validate?.(v) : undefined;
    if (problem) throw new Error(`Input "${v}" rejected: ${problem}`);
    return v;
  }
  async confirm(message: string, detail: string, actions: readonly string[]): Promise<string | undefined> {
    this.asked.push({ kind: 'confirm', title: message, detail, actions });
    const a = this.confirms.shift();
    if (!a) throw new Error(`Unexpected confirmation: ${message}`);
    return a(message, detail, actions);
  }
  async saveDialog(options: { title: string; defaultFileName?: string }): Promise<vscode.Uri | undefined> {
    this.asked.push({ kind: 'save', title: options.title, detail: options.defaultFileName });
    if (this.saves.length === 0) throw new Error(`Unexpected save dialog: ${options.title}`);
    return this.saves.shift();
  }
  async openDialog(options: { title: string }): Promise<vscode.Uri | undefined> {
    this.asked.push({ kind: 'open', title: options.title });
    if (this.opens.length === 0) throw new Error(`Unexpected open dialog: ${options.title}`);
    return this.opens.shift();
  }
  info(message: string): void {
    this.infos.push(message);
  }
  async error(message: string): Promise<string | undefined> {
    this.errors.push(message);
    return undefined;
  }
  progress<T>(title: string, task: (report: (message: string) => void) => Promise<T>): Promise<T> {
    this.progressTitles.push(title);
    return task(() => undefined);
  }
  /** Every scripted answer was used. */
  get done(): boolean {
    return this.picks.length === 0 && this.inputs.length === 0 && this.confirms.length === 0 && this.saves.length === 0 && this.opens.length === 0;
  }
}

/** Poll until `f` returns a truthy value (live updates arrive asynchronously). */
export const eventually = <T>(f: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> => until(f, what, timeoutMs, 100);

/**
 * Swap the extension's UI layer for a ScriptedUi around each test (modal dialogs are refused in the test host),
 * after signing in; skips the suite when no server is configured. Returns the signed-in extension and the current
 * test's ScriptedUi.
 */
export function useScriptedUi(): { readonly api: FleetExtensionApi; readonly ui: ScriptedUi } {
  let api: FleetExtensionApi | undefined;
  let ui: ScriptedUi | undefined;
  let previousUi: FleetUi | undefined;
  before(async function () {
    if (!serverEnv()) this.skip();
    api = await signedInApi();
  });
  beforeEach(() => {
    ui = new ScriptedUi();
    previousUi = api?.setUi(ui);
  });
  afterEach(() => {
    if (previousUi && api) api.setUi(previousUi);
  });
  return {
    get api() { return api!; },
    get ui() { return ui!; },
  };
}
