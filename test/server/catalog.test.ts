// The catalog's cache of releases, groups and settings: the check-ins of one turn read the table once between them;
// past its age the cache still answers at once while one reload runs (a reload that fails keeps the old rows); after
// invalidate() callers wait for the new rows, and a load that began before it never puts the old ones back.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Release } from '../../src/core';
import { Catalog } from '../../src/server/catalog';
import { FleetStore } from '../../src/server/store/store';

describe('catalog cache', () => {
  let dir: string;
  let store: FleetStore;
  let loads: number;
  /** Holds each load after its query has run, until the test lets it go. */
  let gate: Promise<void> | null;
  /** The next load fails (the database went away for a moment). */
  let failNext: boolean;
  /** Called when a load's query has run (before it waits at the gate). */
  let queried: (() => void) | null;

  const release = (version: string): Release => {
    const at = new Date().toISOString();
    return {
      id: `r-${version}`, version, channel: 'stable', notes: '', mandatory: false, artifact: {}, state: 'approved',
      createdAt: at, createdBy: 'test', transitions: [{ from: null, to: 'approved', by: 'test', at }],
    };
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uf-catalog-'));
    store = await FleetStore.open({ sqliteFile: join(dir, 'fleet.db') });
    loads = 0;
    gate = null;
    failNext = false;
    queried = null;
    const listReleases = store.releases.list.bind(store.releases);
    store.releases.list = async () => {
      loads++;
      if (failNext) {
        failNext = false;
        throw new Error('connection lost');
      }
      const list = await listReleases();
      queried?.();
      if (gate) await gate;
      return list;
    };
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a turn of concurrent callers with one read', async () => {
    await store.releases.insert(release('1.0.0'));
    const catalog = new Catalog(store, () => new Date());
    const lists = await Promise.all(Array.from({ length: 50 }, () => catalog.allReleases()));
    assert.equal(loads, 1);
    for (const list of lists) assert.deepEqual(list.map((r) => r.version), ['1.0.0']);
    await catalog.allReleases();
    assert.equal(loads, 1, 'a fresh cache is not read again');
  });

  it('does not keep what a load read before invalidate()', async () => {
    await store.releases.insert(release('1.0.0'));
    const catalog = new Catalog(store, () => new Date());
    let open!: () => void;
    gate = new Promise<void>((resolve) => { open = resolve; });
    const ran = new Promise<void>((resolve) => { queried = resolve; });
    const stale = catalog.allReleases();
    // The load has run its query; the table changes, and is said to, while the load is still held.
    await ran;
    await store.releases.insert(release('2.0.0'));
    catalog.invalidate();
    open();
    gate = null;
    assert.deepEqual((await stale).map((r) => r.version), ['1.0.0']);
    assert.deepEqual((await catalog.allReleases()).map((r) => r.version).sort(), ['1.0.0', '2.0.0']);
    assert.equal(loads, 2);
  });

  it('past its age answers at once with what it has while one reload runs, and keeps it when the reload fails', async () => {
    await store.releases.insert(release('1.0.0'));
    let t = 0;
    const catalog = new Catalog(store, () => new Date(), () => t);
    assert.deepEqual((await catalog.allReleases()).map((r) => r.version), ['1.0.0']);
    // Another server process adds a release (no invalidate() here).
    await store.releases.insert(release('2.0.0'));
    t = 1_000;
    await catalog.allReleases();
    assert.equal(loads, 1, 'young: not read again');
    t = 2_500;
    let open!: () => void;
    gate = new Promise<void>((resolve) => { open = resolve; });
    const answers = await Promise.all([catalog.allReleases(), catalog.allReleases()]);
    for (const list of answers) assert.deepEqual(list.map((r) => r.version), ['1.0.0'], 'answered while the reload is held');
    assert.equal(loads, 2, 'one reload for both');
    open();
    gate = null;
    while ((await catalog.allReleases()).length !== 2) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(loads, 2);
    // A reload that fails keeps the rows; the next caller past the age tries again.
    t = 5_000;
    failNext = true;
    assert.equal((await catalog.allReleases()).length, 2);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(loads, 3);
    assert.equal((await catalog.allReleases()).length, 2);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(loads, 4, 'tried again');
    assert.equal((await catalog.allReleases()).length, 2);
  });
});
