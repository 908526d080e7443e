// Signed decisions: what the server signs in a check-in answer that names a version to install, and whether an
// agent that holds the server's public key may act on an answer. The signing and the signature check are crypto
// (src/server/decisionSigner.ts, src/agent/decisionKeys.ts); the bytes and the rules are here, pure.
import type { DecisionAction, ReasonCode } from './types';
import type { CheckinResponse } from './wire';
import { compareVersions, isValidVersion } from './version';

/** First element of the signed bytes: a signature made for anything else never verifies as a decision. */
export const DECISION_SIGNATURE_CONTEXT = 'update-fleet-decision/1';

/** The DER header of an ed25519 SubjectPublicKeyInfo: these 12 bytes and the raw 32-byte key make the SPKI form. */
export const ED25519_SPKI_PREFIX_HEX = '302a300506032b6570032100';

/** A check-in answer's signature is good for this long unless the server is told otherwise (--decision-ttl). */
export const DEFAULT_DECISION_TTL_SECONDS = 24 * 3600;

/** The agent's one-time value that binds the answer to its own check-in (a replayed answer carries another one). */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

export interface SignedDecisionFields {
  clientId: string;
  /** The check-in's nonce ("" when the agent sent none: then only the expiry limits a replay). */
  nonce: string;
  /** The installed version the agent reported: the answer holds only for a client in that state. */
  installed: string;
  action: DecisionAction;
  reason: ReasonCode;
  version: string;
  sha256: string | null;
  size: number | null;
  mandatory: boolean;
  /** ISO-8601. */
  expiresAt: string;
}

/**
 * The signed bytes: the UTF-8 of a JSON array in this fixed order, written as JSON.stringify writes it (no spaces,
 * non-ASCII as UTF-8). An array of typed values cannot be shifted from one field into another, whatever a field holds.
 */
export function decisionSigningBytes(f: SignedDecisionFields): string {
  return JSON.stringify([
    DECISION_SIGNATURE_CONTEXT, f.clientId, f.nonce, f.installed, f.action, f.reason, f.version,
    f.sha256 ?? null, f.size ?? null, f.mandatory, f.expiresAt,
  ]);
}

/** The answers that are signed: those that name a version to install (offer, force, downgrade, manual). */
export function answerIsSigned(a: Pick<CheckinResponse, 'action' | 'version'>): boolean {
  return a.action !== 'none' && typeof a.version === 'string' && a.version !== '';
}

/** The fields of an answer as the agent checks them: its own check-in's values, the rest from the answer. */
export function signedFieldsOfAnswer(
  a: Pick<CheckinResponse, 'action' | 'reason' | 'version' | 'sha256' | 'size' | 'mandatory' | 'expiresAt'>,
  checkin: { clientId: string; nonce: string; installed: string },
): SignedDecisionFields {
  return {
    ...checkin,
    action: a.action,
    reason: a.reason,
    version: a.version ?? '',
    sha256: a.sha256 ?? null,
    size: a.size ?? null,
    mandatory: a.mandatory === true,
    expiresAt: a.expiresAt ?? '',
  };
}

/** The reasons a signed answer may take a client to a lower version. */
const DOWNGRADE_REASONS: readonly ReasonCode[] = ['rollback', 'downgrade-allowed'];

export interface AnswerCheck {
  answer: Pick<CheckinResponse, 'action' | 'version' | 'reason' | 'expiresAt'>;
  installed: string;
  /** The agent's check of the signature against every key it holds. */
  signature: 'valid' | 'invalid' | 'missing';
  now: Date;
}

export type AnswerVerdict = { accept: true } | { accept: false; reason: string };

/** Whether an agent configured with the server's key may act on this answer; a refusal says why, for a person. */
export function judgeAnswer(c: AnswerCheck): AnswerVerdict {
  const a = c.answer;
  if (!answerIsSigned(a)) return { accept: true }; // nothing to install: nothing to trust
  const what = `the server's answer "${a.action} ${a.version}"`;
  if (c.signature === 'missing') return { accept: false, reason: `Refused ${what}: it is not signed, and this agent only acts on answers signed with the server key` };
  if (c.signature === 'invalid') {
    return { accept: false, reason: `Refused ${what}: its signature does not verify against the server key (altered, made for another client or check-in, or signed with another key)` };
  }
  const expires = Date.parse(a.expiresAt ?? '');
  if (!Number.isFinite(expires)) return { accept: false, reason: `Refused ${what}: it has no valid expiry time` };
  if (c.now.getTime() > expires) return { accept: false, reason: `Refused ${what}: it expired at ${a.expiresAt} (the agent's clock says ${c.now.toISOString()})` };
  const version = a.version!;
  if (isValidVersion(version) && isValidVersion(c.installed) && compareVersions(version, c.installed) < 0
    && !(a.action === 'downgrade' && DOWNGRADE_REASONS.includes(a.reason))) {
    return { accept: false, reason: `Refused ${what}: ${version} is lower than the installed ${c.installed}, and the answer is not a rollback or an allowed downgrade` };
  }
  return { accept: true };
}
