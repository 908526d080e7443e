// Package uploads: the bytes must be what was declared (the sha256 and size given when the release was registered
// or in the upload's X-Package-Sha256 / X-Package-Size headers) and, with a publisher key configured, carry an
// ed25519 signature that verifies. Checked while the bytes stream in, so nothing wrong is ever stored; the package
// a new upload replaces is deleted, so it cannot be downloaded any more.
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import type { Release } from '../core/types';
import type { ArtifactStore } from './artifacts';
import { ApiError } from './errors';
import type { Fleet } from './fleet';
import type { ReleaseView } from '../core/wire';

export interface Expected {
  sha256?: string;
  size?: number;
  signature?: string;
}

/** An ed25519 public key (PEM), as the agent's --public-key takes it. */
export function loadPublicKey(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the package signing key must be ed25519, not ${key.asymmetricKeyType}`);
  return key;
}

/** The stored artifact came from an upload to this server (its values are results, not a publisher's declaration). */
const uploadedHere = (r: Release): boolean => !!r.artifact.url?.startsWith('/agent/v1/artifacts/');

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

export function expectedOf(release: Release, headers: IncomingHttpHeaders): Expected {
  const declared = uploadedHere(release) ? {} : release.artifact;
  const hSha = header(headers, 'x-package-sha256')?.toLowerCase();
  if (hSha !== undefined && !/^[0-9a-f]{64}$/.test(hSha)) throw new ApiError(400, 'invalid-sha256', 'X-Package-Sha256 must be 64 hex digits.');
  const hSizeText = header(headers, 'x-package-size');
  if (hSizeText !== undefined && !/^\d{1,16}$/.test(hSizeText)) throw new ApiError(400, 'invalid-size', 'X-Package-Size must be a number of bytes.');
  const hSize = hSizeText === undefined ? undefined : Number(hSizeText);
  if (hSha && declared.sha256 && hSha !== declared.sha256) {
    throw new ApiError(422, 'sha256-mismatch', `X-Package-Sha256 ${hSha} differs from the sha256 ${declared.sha256} release ${release.version} was registered with.`);
  }
  if (hSize !== undefined && declared.size !== undefined && hSize !== declared.size) {
    throw new ApiError(422, 'size-mismatch', `X-Package-Size ${hSize} differs from the size ${declared.size} release ${release.version} was registered with.`);
  }
  return {
    sha256: hSha ?? declared.sha256,
    size: hSize ?? declared.size,
    signature: header(headers, 'x-package-signature') ?? declared.signature,
  };
}

/**
 * The body, passed through while its size and hash are checked against what was declared; the signature is
 * checked at the end (ed25519 signs the whole message, so with a key configured the package is held in memory
 * until it is verified). Any mismatch fails the stream with a 422 and the upload is discarded.
 */
export function verifying(body: Readable, expected: Expected, publicKey: KeyObject | undefined): Readable {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
  const sizeMismatch = (): ApiError => new ApiError(422, 'size-mismatch', `The package is ${size > expected.size! ? 'larger than' : `${size} bytes, not`} the declared ${expected.size} bytes.`);
  const check = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (expected.size !== undefined && size > expected.size) return cb(sizeMismatch());
      hash.update(chunk);
      if (publicKey) chunks.push(chunk);
      cb(null, chunk);
    },
    flush(cb) {
      if (expected.size !== undefined && size !== expected.size) return cb(sizeMismatch());
      const sha256 = hash.digest('hex');
      if (expected.sha256 && sha256 !== expected.sha256) {
        return cb(new ApiError(422, 'sha256-mismatch', `The package's sha256 is ${sha256}, not the declared ${expected.sha256}.`));
      }
      const sig = expected.signature === undefined ? undefined : Buffer.from(expected.signature, 'base64');
      if (sig && sig.length !== 64) return cb(new ApiError(422, 'signature-malformed', 'X-Package-Signature must be an ed25519 signature: 64 bytes in base64.'));
      if (publicKey) {
        if (!sig) return cb(new ApiError(422, 'signature-missing', 'This server only accepts signed packages: send X-Package-Signature (base64 ed25519 over the package bytes).'));
        const ok = verify(null, Buffer.concat(chunks, size), publicKey, sig);
        chunks.length = 0;
        if (!ok) return cb(new ApiError(422, 'signature-invalid', "X-Package-Signature does not verify against the server's package signing key."));
      }
      cb();
    },
  });
  // The store pipes this; when the upload is refused before that (release not pending), errors have no reader.
  check.on('error', () => {});
  body.on('error', (err) => check.destroy(err));
  return body.pipe(check);
}

/** The upload use case around Fleet.uploadArtifact: declared values, signature, and no orphaned package left behind. */
export class Uploads {
  constructor(private readonly fleet: Fleet, private readonly artifacts: ArtifactStore, private readonly publicKey?: KeyObject) {}

  get maxBytes(): number {
    return this.artifacts.maxBytes;
  }

  async accept(ref: string, body: Readable, headers: IncomingHttpHeaders, actor: { name: string }): Promise<ReleaseView> {
    const before = await this.fleet.resolveRelease(ref);
    const expected = expectedOf(before, headers);
    const view = await this.fleet.releases.uploadArtifact(before.id, verifying(body, expected, this.publicKey), actor, expected.signature);
    const old = uploadedHere(before) ? before.artifact.sha256 : undefined;
    if (old && old !== view.artifact.sha256) await this.removeUnreferenced(old);
    return view;
  }

  private async removeUnreferenced(sha256: string): Promise<void> {
    const releases = await this.fleet.allReleases();
    if (!releases.some((r) => r.artifact.sha256 === sha256)) await this.artifacts.remove(sha256);
  }
}
