// Releases and groups: a few rows that every check-in reads, so they are cached, and reloaded after a short
// while so several server processes on one PostgreSQL database see each other's changes.
import { findRelease, withPolicyDefaults, type FleetSettings, type Group, type Release } from '../core';
import { notFound } from './errors';
import type { FleetStore } from './store/store';

export const DEFAULT_GROUP_ID = 'default';

const CACHE_MS = 2_000;

/**
 * One cached value, loaded once however many requests ask while it loads (the check-ins of one turn would each
 * read it again). Past its age it is still answered at once while a reload runs: a check-in never waits for the
 * catalog's tables, which on a busy PostgreSQL took every check-in of that moment tens of milliseconds every two
 * seconds. After invalidate() (a change made here) the next caller waits for the new rows, and a load that began
 * before it never puts the old ones back.
 */
class Cached<T> {
  private value: { at: number; value: T } | null = null;
  private loading: Promise<T> | null = null;
  private generation = 0;

  constructor(private readonly load: () => Promise<T>, private readonly clock: () => number) {}

  get(): Promise<T> {
    const value = this.value;
    if (value && this.clock() - value.at <= CACHE_MS) return Promise.resolve(value.value);
    const loading = this.reload();
    if (value) {
      // A failed reload keeps the rows it had; the next caller past the age tries again.
      loading.catch(() => {});
      return Promise.resolve(value.value);
    }
    return loading;
  }

  private reload(): Promise<T> {
    if (this.loading) return this.loading;
    const generation = this.generation;
    const at = this.clock();
    const loading = this.load().then((value) => {
      if (generation === this.generation) this.value = { at, value };
      return value;
    }).finally(() => {
      if (this.loading === loading) this.loading = null;
    });
    this.loading = loading;
    return loading;
  }

  invalidate(): void {
    this.generation++;
    this.value = null;
    this.loading = null;
  }
}

export class Catalog {
  private readonly releases = new Cached(() => this.store.releases.list(), () => this.clock());
  private readonly groups = new Cached(() => this.store.groups.list(), () => this.clock());
  private readonly settings = new Cached(() => this.store.settings.get(), () => this.clock());

  /** `clock`: the cache's ages (milliseconds), apart from `now`, the server's time for what it records. */
  constructor(private readonly store: FleetStore, private readonly now: () => Date, private readonly clock: () => number = Date.now) {}

  allReleases(): Promise<Release[]> {
    return this.releases.get();
  }

  allGroups(): Promise<Group[]> {
    return this.groups.get();
  }

  /** The fleet-wide settings (seed 000's minimum auto-upgrade version): every check-in reads them. */
  fleetSettings(): Promise<FleetSettings> {
    return this.settings.get();
  }

  /** Drop the cached releases, groups and settings (after a change here or in another server process). */
  invalidate(): void {
    this.releases.invalidate();
    this.groups.invalidate();
    this.settings.invalidate();
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
    const groups = await this.store.groups.list();
    if (!groups.some((g) => g.id === DEFAULT_GROUP_ID)) {
      await this.store.groups.insert({ id: DEFAULT_GROUP_ID, name: 'Default', description: 'Clients seen for the first time land here.', policy: withPolicyDefaults(undefined) }, this.now().toISOString());
      this.invalidate();
    }
  }
}
