// Download the package into <state>/downloads. The file name comes from the announced sha256, never from the URL
// (a URL is not a safe file name). Bytes land in "<sha256>.part" first; an interrupted download resumes from there
// with an HTTP Range request. The finished "<sha256>.pkg" is kept after installing (seed 003: manual rollback).
import { createHash } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CheckinResponse } from '../core/wire';
import { AgentFailure, errnoCode, fsFailure, messageOf } from './errors';
import { exists } from './files';
import { sha256File } from './verify';
import { RangeNotSatisfiable, type UpdateSource } from './updateSource';

const SHA256 = /^[0-9a-f]{64}$/;

export interface DownloadRequest {
  source: UpdateSource;
  decision: CheckinResponse;
  dir: string;
  /** Called as bytes arrive; percent is undefined when the size is unknown. */
  onProgress?: (bytes: number, percent: number | undefined) => void;
}

export interface DownloadResult {
  file: string;
  /** Bytes fetched in this call (0 when the kept package was reused). */
  fetched: number;
  /** Where the download started: > 0 when it resumed a .part file. */
  resumedAt: number;
}

const mb = (n: number) => `${Math.max(1, Math.ceil(n / 1_048_576))} MB`;

/** Refuse early, with numbers, when the package cannot fit: "Disk full: 120 MB needed, 40 MB free in …". */
export async function ensureFreeSpace(dir: string, needed: number): Promise<void> {
  if (!(needed > 0)) return;
  let free: number;
  try {
    const st = await fsp.statfs(dir);
    free = Number(st.bavail) * Number(st.bsize);
  } catch {
    return; // no statfs on this platform: the write itself will tell
  }
  if (free < needed) throw new AgentFailure(`Disk full: ${mb(needed)} needed, ${mb(free)} free in ${dir}`);
}

/** The local name for a decision's package: its sha256, or (legacy answers without one) a hash of its URL. */
export function packageKey(decision: CheckinResponse): { key: string; sha256?: string } {
  if (decision.sha256 !== undefined) {
    const sha = decision.sha256.toLowerCase();
    if (!SHA256.test(sha)) throw new AgentFailure(`The update ${decision.version} has a malformed sha256 "${decision.sha256}"`);
    return { key: sha, sha256: sha };
  }
  const h = createHash('sha256').update(`${decision.url ?? ''}\n${decision.version ?? ''}`).digest('hex');
  return { key: `url-${h.slice(0, 40)}` };
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await fsp.stat(path)).size;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return 0;
    throw e;
  }
}

export async function downloadPackage(req: DownloadRequest): Promise<DownloadResult> {
  const { decision, dir } = req;
  try {
    await fsp.mkdir(dir, { recursive: true });
  } catch (e) {
    throw fsFailure(e, 'creating the downloads folder', dir);
  }
  const { key, sha256 } = packageKey(decision);
  const final = join(dir, `${key}.pkg`);
  if (sha256 && (await exists(final))) return { file: final, fetched: 0, resumedAt: 0 };

  const part = join(dir, `${key}.part`);
  const size = typeof decision.size === 'number' && decision.size >= 0 ? decision.size : undefined;
  let offset = await fileSize(part);
  if (size !== undefined && offset > size) offset = 0; // longer than the package: not ours, start over
  let resumedFrom = offset;
  let fetched = 0;

  if (size === undefined || offset < size) {
    await ensureFreeSpace(dir, size !== undefined ? size - offset : 0);
    for (let attempt = 0; ; attempt++) {
      let opened;
      try {
        opened = await req.source.openPackage(decision, offset);
      } catch (e) {
        if (e instanceof RangeNotSatisfiable && offset > 0 && attempt === 0) {
          offset = 0;
          continue;
        }
        throw e;
      }
      if (!opened.resumed) offset = 0;
      resumedFrom = offset;
      const total = size ?? (opened.length !== undefined ? offset + opened.length : undefined);
      let bytes = offset;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          bytes += chunk.length;
          fetched += chunk.length;
          req.onProgress?.(bytes, total ? Math.min(100, Math.floor((bytes / total) * 100)) : undefined);
          cb(null, chunk);
        },
      });
      try {
        await pipeline(opened.stream, counter, createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' }));
      } catch (e) {
        const code = errnoCode(e);
        if (code === 'ENOSPC' || code === 'EACCES' || code === 'EPERM' || code === 'EDQUOT') throw fsFailure(e, 'writing', part);
        throw new AgentFailure(`Download interrupted after ${bytes} bytes (${messageOf(e)}); the next attempt resumes from there`, { cause: e });
      }
      break;
    }
  }

  let target = final;
  if (!sha256) target = join(dir, `${(await sha256File(part)).sha256}.pkg`);
  try {
    await fsp.rename(part, target);
  } catch (e) {
    throw fsFailure(e, 'saving', target);
  }
  return { file: target, fetched, resumedAt: resumedFrom };
}
