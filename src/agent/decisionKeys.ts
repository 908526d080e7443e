// The server keys an agent verifies check-in answers with (--server-key FILE). The file may hold several keys —
// PEM public keys, or raw 32-byte ed25519 keys in base64, one a line — so a key rotation can put the next key on
// every client before the server signs with it (README: key rotation).
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { ED25519_SPKI_PREFIX_HEX } from '../core/signedDecision';
import { UsageError } from './errors';

const ED25519_SPKI_PREFIX = Buffer.from(ED25519_SPKI_PREFIX_HEX, 'hex');

export function parseServerKeys(text: string, file: string): KeyObject[] {
  const keys: KeyObject[] = [];
  const pems = text.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
  const rest = text.replace(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g, '');
  for (const pem of pems) {
    try {
      keys.push(createPublicKey(pem));
    } catch (e) {
      throw new UsageError(`${file}: a PEM public key cannot be read (${(e as Error).message}).`);
    }
  }
  for (const line of rest.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
    const raw = /^[A-Za-z0-9+/]{43}=$/.test(line) ? Buffer.from(line, 'base64') : undefined;
    if (!raw || raw.length !== 32) throw new UsageError(`${file}: "${line.slice(0, 20)}…" is neither a PEM public key nor a base64 ed25519 key (44 characters).`);
    keys.push(createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' }));
  }
  if (keys.length === 0) throw new UsageError(`${file} holds no server key (expected "-----BEGIN PUBLIC KEY-----" or a base64 key; see "update-fleet-server key export").`);
  for (const k of keys) if (k.asymmetricKeyType !== 'ed25519') throw new UsageError(`${file}: the server signs with ed25519, not ${k.asymmetricKeyType}.`);
  return keys;
}

/** Valid when any configured key verifies it (during a rotation, the old or the new key). */
export function checkDecisionSignature(bytes: string, signature: string | undefined, keys: readonly KeyObject[]): 'valid' | 'invalid' | 'missing' {
  if (!signature) return 'missing';
  const sig = Buffer.from(signature, 'base64');
  if (sig.length !== 64) return 'invalid';
  const data = Buffer.from(bytes, 'utf8');
  return keys.some((k) => verify(null, data, k, sig)) ? 'valid' : 'invalid';
}
