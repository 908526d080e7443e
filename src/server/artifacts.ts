// Package bytes, stored by their sha256 (content-addressed: a URL never names a path the network chose).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './errors';
import { ifRangeMatches, parseRange } from './range';

const SHA256 = /^[0-9a-f]{64}$/;

export class ArtifactStore {
  constructor(readonly dir: string, readonly maxBytes: number) {}

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  async remove(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }

  /**
   * Delete packages no release names (replaced uploads a crash left behind) and abandoned partial uploads.
   * Only files older than `minAgeMs`: another server process on the same folder may be storing one right now.
   */
  async prune(referenced: ReadonlySet<string>, minAgeMs = 10 * 60_000): Promise<string[]> {
    const removed: string[] = [];
    const cutoff = Date.now() - minAgeMs;
    for (const name of await readdir(this.dir)) {
      if (!(SHA256.test(name) && !referenced.has(name)) && !name.startsWith('.upload-')) continue;
      const file = join(this.dir, name);
      try {
        if ((await stat(file)).mtimeMs > cutoff) continue;
        await rm(file, { force: true });
        removed.push(name);
      } catch { /* gone already */ }
    }
    return removed;
  }

  pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new ApiError(400, 'invalid-sha256', 'An artifact is named by its sha256: 64 lower-case hex digits.');
    return join(this.dir, sha256);
  }

  /** Stream the body to a temp file while hashing it, then move it into place under its hash. */
  async save(body: Readable): Promise<{ sha256: string; size: number }> {
    const tmp = join(this.dir, `.upload-${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    const max = this.maxBytes;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > max) return cb(new ApiError(413, 'body-too-large', `The package is larger than the server's limit of ${max} bytes.`));
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, createWriteStream(tmp, { mode: 0o600 }));
      if (size === 0) throw new ApiError(400, 'empty-body', 'The package is empty: send the bytes as application/octet-stream.');
      const sha256 = hash.digest('hex');
      await rename(tmp, join(this.dir, sha256));
      return { sha256, size };
    } catch (err) {
      await rm(tmp, { force: true });
      if (err instanceof ApiError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC') throw new ApiError(507, 'disk-full', 'The server has no space left to store the package.');
      throw new ApiError(400, 'upload-failed', `The upload did not complete: ${(err as Error).message}`);
    }
  }

  async exists(sha256: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(sha256))).isFile();
    } catch {
      return false;
    }
  }

  /** Send the bytes with HTTP Range support (an agent resumes an interrupted download); see range.ts. */
  async send(sha256: string, req: FastifyRequest, reply: FastifyReply, fileName?: string): Promise<FastifyReply> {
    const file = this.pathOf(sha256);
    let size: number;
    let mtime: Date;
    try {
      ({ size, mtime } = await stat(file));
    } catch {
      throw new ApiError(404, 'not-found', `No package with sha256 ${sha256} is stored on this server.`);
    }
    const etag = `"${sha256}"`;
    const lastModified = mtime.toUTCString();
    reply.header('Accept-Ranges', 'bytes');
    reply.header('Content-Type', 'application/octet-stream');
    reply.header('ETag', etag);
    reply.header('Last-Modified', lastModified);
    if (fileName) reply.header('Content-Disposition', `attachment; filename="${fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`);
    const rangeHeader = req.headers.range;
    const ifRange = req.headers['if-range'];
    const range = req.method === 'GET' && ifRangeMatches(typeof ifRange === 'string' ? ifRange : undefined, etag, lastModified)
      ? parseRange(typeof rangeHeader === 'string' ? rangeHeader : undefined, size)
      : { kind: 'full' as const };
    if (range.kind === 'unsatisfiable') {
      reply.header('Content-Range', `bytes */${size}`);
      throw new ApiError(416, 'range-not-satisfiable', `The range "${String(rangeHeader)}" is outside the package (${size} bytes).`);
    }
    if (range.kind === 'partial') {
      reply.status(206);
      reply.header('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
      reply.header('Content-Length', String(range.end - range.start + 1));
      return reply.send(createReadStream(file, { start: range.start, end: range.end }));
    }
    reply.header('Content-Length', String(size));
    return reply.send(createReadStream(file));
  }
}
