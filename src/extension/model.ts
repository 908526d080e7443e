// What the views share: releases, groups and the fleet summary, loaded once per change set and handed to the
// trees and the status bar, so three views do not make three requests for the same list.
import * as vscode from 'vscode';
import type { GroupView, ReleaseView, RolloutEvent, SummaryResponse } from '../core/wire';
import type { Connection } from './connection';
import type { FleetEvents } from './events';
import type { Log } from './log';
import type { ChangeSet } from './sse';

export class FleetModel implements vscode.Disposable {
  releases: ReleaseView[] = [];
  groups: GroupView[] = [];
  summary: SummaryResponse | undefined;
  /** The last load error per list, shown as a tree item instead of an empty view. */
  releasesError: string | undefined;
  groupsError: string | undefined;

  private readonly releasesChanged = new vscode.EventEmitter<void>();
  private readonly groupsChanged = new vscode.EventEmitter<void>();
  private readonly summaryChanged = new vscode.EventEmitter<void>();
  private readonly clientsChanged = new vscode.EventEmitter<{ groupIds: string[] }>();
  private readonly policyChanged = new vscode.EventEmitter<{ groupIds: string[] }>();
  private readonly rolloutChanged = new vscode.EventEmitter<RolloutEvent[]>();
  readonly onDidChangeReleases = this.releasesChanged.event;
  readonly onDidChangeGroups = this.groupsChanged.event;
  readonly onDidChangeSummary = this.summaryChanged.event;
  /** groupIds empty = any group. */
  readonly onDidChangeClients = this.clientsChanged.event;
  readonly onDidChangePolicy = this.policyChanged.event;
  /** Rollouts halted, paused, resumed or promoted (fired after the releases are reloaded). */
  readonly onDidChangeRollout = this.rolloutChanged.event;
  private readonly disposables: vscode.Disposable[];
  private loading: Promise<void> = Promise.resolve();
  private url: string | undefined;

  constructor(private readonly connection: Connection, events: FleetEvents, private readonly log: Log) {
    this.disposables = [
      this.releasesChanged, this.groupsChanged, this.summaryChanged, this.clientsChanged, this.policyChanged, this.rolloutChanged,
      events.onDidChange((c) => void this.apply(c)),
      connection.onDidChange((s) => {
        // Offline: keep the last known state on show (the views say it is offline); another server or signed
        // out: forget it.
        const url = s.kind === 'no-server' ? undefined : s.url;
        if ((s.kind !== 'signed-in' && s.kind !== 'unreachable') || url !== this.url) this.clear();
        this.url = url;
      }),
    ];
  }

  /** Resolves when the loads started so far are done (tests and commands await it). */
  settled(): Promise<void> {
    return this.loading;
  }

  private clear(): void {
    const had = this.releases.length > 0 || this.groups.length > 0 || this.summary !== undefined;
    this.releases = [];
    this.groups = [];
    this.summary = undefined;
    this.releasesError = this.groupsError = undefined;
    if (had) {
      this.releasesChanged.fire();
      this.groupsChanged.fire();
      this.summaryChanged.fire();
    }
  }

  apply(c: ChangeSet): Promise<void> {
    const run = this.loading.then(() => this.load(c));
    this.loading = run.catch(() => undefined);
    return run;
  }

  private async load(c: ChangeSet): Promise<void> {
    const client = this.connection.client;
    if (!client) return;
    // Client changes move counts: per-version counts on releases, per-group counts, the summary. The server's
    // summary event trails a burst of changes (throttled), so counts are reloaded with it too.
    const wantReleases = c.all || c.releases || c.clients || !!c.summary;
    const wantGroups = c.all || c.groups || c.clients || !!c.summary;
    const wantSummary = c.all || c.clients || c.releases || !!c.summary;
    await Promise.all([
      wantReleases &&
        client.releases().then(
          (r) => { this.releases = r; this.releasesError = undefined; },
          (e: Error) => { this.releasesError = e.message; this.log.error(`Loading releases: ${e.message}`); },
        ).finally(() => this.releasesChanged.fire()),
      wantGroups &&
        client.groups().then(
          (g) => { this.groups = g; this.groupsError = undefined; },
          (e: Error) => { this.groupsError = e.message; this.log.error(`Loading groups: ${e.message}`); },
        ).finally(() => this.groupsChanged.fire()),
      wantSummary &&
        client.summary().then(
          (s) => { this.summary = s; },
          (e: Error) => this.log.error(`Loading the fleet summary: ${e.message}`),
        ).finally(() => this.summaryChanged.fire()),
    ]);
    if (c.all || c.clients) this.clientsChanged.fire({ groupIds: c.all ? [] : c.groupIds });
    if (c.policyGroupIds.length > 0) this.policyChanged.fire({ groupIds: c.policyGroupIds });
    if (c.rollouts?.length) this.rolloutChanged.fire(c.rollouts);
  }

  /** Reload everything now (Refresh command, after an action). */
  reload(): Promise<void> {
    return this.apply({ all: true, releases: true, groups: true, clients: true, groupIds: [], policyGroupIds: [] });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
