// The peer of a connection on the service's unix socket, as the kernel saw it (SO_PEERCRED), and its user's groups.
// Node has no API for either, so a small N-API add-on in native/peercred does the two calls. It is found beside the
// bundle (dist/peercred.node), beside the executable, in the repository's build folder (tests through tsx), or
// inside the single executable (a SEA asset written to a private temp file before it is loaded).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Peer } from '../core/servicePeer';

interface PeercredAddon {
  peerCredentials(fd: number): { pid: number; uid: number; gid: number };
  groupsOf(uid: number, gid: number): number[];
}

export const PEERCRED_FILE = 'peercred.node';
/** The name of the add-on among the single executable's assets (scripts/build-agent-exe.mjs). */
export const PEERCRED_ASSET = 'peercred.node';

let loaded: PeercredAddon | undefined;

function dlopen(file: string): PeercredAddon {
  const m = { exports: {} as PeercredAddon };
  process.dlopen(m, file);
  return m.exports;
}

/** From the single executable's assets, when this runs as one (Node 20.12+: node:sea). */
function fromSeaAsset(): PeercredAddon | undefined {
  let sea: { isSea(): boolean; getRawAsset(key: string): ArrayBuffer } | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sea = require('node:sea');
  } catch {
    return undefined; // older Node: no single-executable support at all
  }
  if (!sea?.isSea()) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'update-fleet-agent-')); // 0700: nobody else can swap the file
  const file = join(dir, PEERCRED_FILE);
  try {
    writeFileSync(file, Buffer.from(sea.getRawAsset(PEERCRED_ASSET)), { mode: 0o500 });
    return dlopen(file);
  } finally {
    rmSync(dir, { recursive: true, force: true }); // the loaded library stays mapped
  }
}

/** Load the add-on once; throws with what was tried when it is missing. */
export function loadPeercred(): PeercredAddon {
  if (loaded) return loaded;
  if (process.platform !== 'linux') throw new Error(`checking the peer of a local socket is implemented for Linux only (this is ${process.platform})`);
  const fromSea = fromSeaAsset();
  if (fromSea) return (loaded = fromSea);
  const candidates = [
    join(__dirname, PEERCRED_FILE),
    join(dirname(process.execPath), PEERCRED_FILE),
    join(__dirname, '..', '..', 'native', 'peercred', 'build', 'Release', PEERCRED_FILE),
  ];
  const file = candidates.find((f) => existsSync(f));
  if (!file) throw new Error(`the ${PEERCRED_FILE} add-on was not found (looked in ${candidates.join(', ')}); run npm run build`);
  return (loaded = dlopen(file));
}

/** The connected peer of an accepted unix-socket connection. */
export function peerOf(conn: Socket): Peer {
  const fd = (conn as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('the connection has no file descriptor to ask the kernel about');
  const addon = loadPeercred();
  const c = addon.peerCredentials(fd);
  return { ...c, groups: addon.groupsOf(c.uid, c.gid) };
}
