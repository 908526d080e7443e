// The server's signing key for check-in decisions: an ed25519 key made at the first start in the data folder
// (decision-signing.key, PKCS#8 PEM, 0600), read at later starts. Agents hold its public key (`key export`).
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { answerIsSigned, decisionSigningBytes, DEFAULT_DECISION_TTL_SECONDS, ED25519_SPKI_PREFIX_HEX, type CheckinResponse } from '../core';

export const SIGNING_KEY_FILE = 'decision-signing.key';

const ED25519_SPKI_PREFIX = Buffer.from(ED25519_SPKI_PREFIX_HEX, 'hex');

export function rawPublicKey(key: KeyObject): Buffer {
  return (key.export({ type: 'spki', format: 'der' }) as Buffer).subarray(ED25519_SPKI_PREFIX.length);
}

/** First 16 hex digits of the sha256 of the raw public key: names a key in answers, messages and `key export`. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(rawPublicKey(publicKey)).digest('hex').slice(0, 16);
}

function parsePrivateKey(pem: string, file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new Error(`${file} is not a PEM private key (${(err as Error).message}); refusing to start.`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file} holds a ${key.asymmetricKeyType} key; decisions are signed with ed25519. Refusing to start.`);
  return key;
}

/** Read the key, or make it when there is none. 'wx' makes two processes starting on one folder agree on one key. */
export async function loadOrCreateSigningKey(dataDir: string): Promise<KeyObject> {
  const file = join(dataDir, SIGNING_KEY_FILE);
  try {
    return parsePrivateKey(await readFile(file, 'utf8'), file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  try {
    const fh = await open(file, 'wx', 0o600);
    try {
      await fh.writeFile(pem);
    } finally {
      await fh.close();
    }
    return privateKey;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return parsePrivateKey(await readFile(file, 'utf8'), file); // another process made it first
  }
}

export interface CheckinFacts {
  clientId: string;
  nonce?: string;
  /** The installed version the agent reported. */
  installed: string;
}

export class DecisionSigner {
  readonly publicKey: KeyObject;
  readonly keyId: string;

  constructor(
    private readonly privateKey: KeyObject,
    private readonly ttlSeconds = DEFAULT_DECISION_TTL_SECONDS,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.publicKey = createPublicKey(privateKey);
    this.keyId = keyIdOf(this.publicKey);
  }

  /**
   * Adds expiresAt, decisionSignature and signingKeyId to an answer that names a version to install, for an agent
   * that asks for proof: one that verifies sends a nonce (with --server-key), and a signature without one would
   * prove nothing to anyone. Other answers cost nothing; one ed25519 signature is 50–70 µs here, a third of a
   * check-in's time on the event loop.
   */
  sign(res: CheckinResponse, facts: CheckinFacts): CheckinResponse {
    if (!answerIsSigned(res) || facts.nonce === undefined) return res;
    const expiresAt = new Date(this.now().getTime() + this.ttlSeconds * 1000).toISOString();
    const bytes = decisionSigningBytes({
      clientId: facts.clientId, nonce: facts.nonce, installed: facts.installed,
      action: res.action, reason: res.reason, version: res.version!, sha256: res.sha256 ?? null, size: res.size ?? null,
      mandatory: res.mandatory === true, expiresAt,
    });
    res.expiresAt = expiresAt;
    res.decisionSignature = sign(null, Buffer.from(bytes, 'utf8'), this.privateKey).toString('base64');
    res.signingKeyId = this.keyId;
    return res;
  }

  /** `key export`: PEM (SPKI), or the raw 32-byte key in base64. */
  exportPublicKey(format: 'pem' | 'base64'): string {
    return format === 'pem' ? this.publicKey.export({ type: 'spki', format: 'pem' }).toString() : `${rawPublicKey(this.publicKey).toString('base64')}\n`;
  }
}
