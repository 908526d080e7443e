// Is the downloaded package the one the release announced? Size, sha256 and, when a publisher key is configured,
// the ed25519 signature over the package bytes. A key without a signature is a refusal, not a pass.
import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { AgentFailure } from './errors';

export interface Expected {
  size?: number;
  sha256?: string;
  /** base64 ed25519 signature over the package bytes. */
  signature?: string;
}

export async function sha256File(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** True when `signatureBase64` is a valid ed25519 signature of `data` by the key. */
export function verifySignature(data: Buffer, signatureBase64: string, publicKeyPem: string): boolean {
  const sig = Buffer.from(signatureBase64.trim(), 'base64');
  if (sig.length !== 64) return false;
  try {
    const key = createPublicKey(publicKeyPem);
    if (key.asymmetricKeyType !== 'ed25519') return false;
    return cryptoVerify(null, data, key, sig);
  } catch {
    return false;
  }
}

/** Throws an AgentFailure whose message is the failure reason the server shows. Returns the actual sha256. */
export async function verifyPackage(path: string, expected: Expected, publicKeyPem?: string): Promise<string> {
  const actual = await sha256File(path);
  if (expected.size !== undefined && expected.size !== actual.size) {
    throw new AgentFailure(`Size mismatch: expected ${expected.size} bytes, got ${actual.size}`);
  }
  if (expected.sha256 && expected.sha256.toLowerCase() !== actual.sha256) {
    throw new AgentFailure(`Checksum mismatch: expected sha256 ${expected.sha256.toLowerCase()}, got ${actual.sha256}`);
  }
  if (publicKeyPem) {
    if (!expected.signature) {
      throw new AgentFailure('Signature missing: a publisher key is configured, so an unsigned package is refused');
    }
    const data = await fsp.readFile(path);
    if (!verifySignature(data, expected.signature, publicKeyPem)) {
      throw new AgentFailure('Signature invalid: the package is not signed by the configured publisher key');
    }
  }
  return actual.sha256;
}
