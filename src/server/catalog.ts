// Releases and groups: a few rows that every check-in reads, so they are cached, and reloaded after a short
// while so several server processes on one PostgreSQL database see each other's changes.
import { findRelease, withPolicyDefaults, type FleetSettings, type Group, type Release } from '../core';
import { notFound } from './errors';
import type { FleetStore } from './store/store';

export const DEFAULT_GROUP_ID = 'default';

const CACHE_MS = 2_000;

export class Catalog {
  private releases: { at: number; list: Release[] } | null = null;
  private groups: { at: number; list: Group[] } | null = null;
  private settings: { at: number; value: FleetSettings } | null = null;

  constructor(private readonly store: FleetStore, private readonly now: () => Date) {}

  async allReleases(): Promise<Release[]> {
    if (!this.releases || Date.now() - this.releases.at > CACHE_MS) this.releases = { at: Date.now(), list: await this.store.listReleases() };
    return this.releases.list;
  }

  async allGroups(): Promise<Group[]> {
    if (!this.groups || Date.now() - this.groups.at > CACHE_MS) this.groups = { at: Date.now(), list: await this.store.listGroups() };
    return this.groups.list;
  }

  /** The fleet-wide settings (seed 000's minimum auto-upgrade version): every check-in reads them. */
  async fleetSettings(): Promise<FleetSettings> {
    if (!this.settings || Date.now() - this.settings.at > CACHE_MS) this.settings = { at: Date.now(), value: await this.store.fleetSettings() };
    return this.settings.value;
  }

  /** Drop the cached releases, groups and settings (after a change here or in another server process). */
  invalidate(): void {
    this.releases = null;
    this.groups = null;
    this.settings = null;
  }

  async resolveRelease(ref: string): Promise<Release> {
    const r = findRelease(ref, await this.allReleases());
    if (!r) throw notFound('release', ref);
    return r;
  }

  async resolveGroup(ref: string): Promise<Group> {
    const groups = await this.allGroups();
    const g = groups.find((x) => x.id === ref) ?? groups.find((x) => x.name.toLowerCase() === ref.toLowerCase());
    if (!g) throw notFound('group', ref);
    return g;
  }

  /** A fresh server has the Default group (seed 001: by default clients do not upgrade automatically). */
  async ensureDefaultGroup(): Promise<void> {
    const groups = await this.store.listGroups();
    if (!groups.some((g) => g.id === DEFAULT_GROUP_ID)) {
      await this.store.insertGroup({ id: DEFAULT_GROUP_ID, name: 'Default', description: 'Clients seen for the first time land here.', policy: withPolicyDefaults(undefined) }, this.now().toISOString());
      this.invalidate();
    }
  }
}
