// The catalog's cache of releases, groups and settings: the check-ins of one turn that find it stale read the table
// once between them, and a load that began before invalidate() never puts the old rows back.
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
    const listReleases = store.listReleases.bind(store);
    store.listReleases = async () => {
      loads++;
      const list = await listReleases();
      if (gate) await gate;
      return list;
    };
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a turn of concurrent callers with one read', async () => {
    await store.insertRelease(release('1.0.0'));
    const catalog = new Catalog(store, () => new Date());
    const lists = await Promise.all(Array.from({ length: 50 }, () => catalog.allReleases()));
    assert.equal(loads, 1);
    for (const list of lists) assert.deepEqual(list.map((r) => r.version), ['1.0.0']);
    await catalog.allReleases();
    assert.equal(loads, 1, 'a fresh cache is not read again');
  });

  it('does not keep what a load read before invalidate()', async () => {
    await store.insertRelease(release('1.0.0'));
    const catalog = new Catalog(store, () => new Date());
    let open!: () => void;
    gate = new Promise<void>((resolve) => { open = resolve; });
    const stale = catalog.allReleases();
    // Let the load run its query, then change the table and say so while the load is still held.
    while (loads === 0) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await store.insertRelease(release('2.0.0'));
    catalog.invalidate();
    open();
    gate = null;
    assert.deepEqual((await stale).map((r) => r.version), ['1.0.0']);
    assert.deepEqual((await catalog.allReleases()).map((r) => r.version).sort(), ['1.0.0', '2.0.0']);
    assert.equal(loads, 2);
  });
});
