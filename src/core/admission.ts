// Client credentials and admission (issue 9): what an enrollment does to a client id, and what the server answers a
// client whose credential is not (or no longer) let in. Pure: the server's store and routes only carry it out.

/** `automatic` lets a new client in at once (the demo's default); `manual` holds it as pending until an admin admits it. */
export type AdmissionMode = 'automatic' | 'manual';
export const ADMISSION_MODES: readonly AdmissionMode[] = ['automatic', 'manual'];

/** Where a client id stands. `pending` waits for an administrator; `decommissioned` and `rejected` are refused for good. */
export type CredentialStatus = 'pending' | 'active' | 'decommissioned' | 'rejected';

export interface EnrollFacts {
  mode: AdmissionMode;
  /** The id's credential record, if it has one: its status, whether it holds a secret, and whether it is this one. */
  existing?: { status: CredentialStatus; hasSecret: boolean; sameSecret: boolean };
  /** The id is already in the fleet (checked in before client credentials existed, or through the legacy check.ini). */
  knownClient: boolean;
}

export type EnrollOutcome =
  /** Store the secret's hash with this status. */
  | { kind: 'store'; status: 'active' | 'pending'; why: 'new' | 'new-held' | 'claims-known-client' }
  /** The same secret again (a retry after a lost answer): nothing changes. */
  | { kind: 'again'; status: CredentialStatus }
  | { kind: 'refuse'; http: 403 | 409; code: string; message: string };

/**
 * An enrollment: the enrollment token plus a client id and the secret the agent will use from now on.
 * The enrollment token proves only that the caller belongs to the organisation, not which machine it is, so it may
 * create a new id but never take over one that exists: an id with another secret is refused, and an id that is in the
 * fleet without a credential (an older agent, a legacy client) is held for an administrator, whatever the mode.
 */
export function enrollOutcome(clientId: string, f: EnrollFacts): EnrollOutcome {
  const e = f.existing;
  if (e && (e.status === 'decommissioned' || e.status === 'rejected')) return { kind: 'refuse', http: 403, ...refusalFor(clientId, e.status)! };
  if (e?.hasSecret) {
    if (e.sameSecret) return { kind: 'again', status: e.status };
    return {
      kind: 'refuse', http: 409, code: 'already-enrolled',
      message: `Client "${clientId}" is already enrolled with another credential; the enrollment token cannot take over an enrolled client. ` +
        'If this machine lost its credential, an administrator decommissions the old entry and the agent enrolls under a new id.',
    };
  }
  if (e || f.knownClient) return { kind: 'store', status: 'pending', why: 'claims-known-client' };
  return f.mode === 'manual' ? { kind: 'store', status: 'pending', why: 'new-held' } : { kind: 'store', status: 'active', why: 'new' };
}

/** The refusal a client gets (403) for its credential's status; undefined when it may check in. */
export function refusalFor(clientId: string, status: CredentialStatus): { code: string; message: string } | undefined {
  switch (status) {
    case 'active':
      return undefined;
    case 'pending':
      return { code: 'pending-admission', message: `Client "${clientId}" is waiting for an administrator to admit this client (Client Groups → Pending → Accept). It may check in once admitted.` };
    case 'decommissioned':
      return { code: 'decommissioned', message: `Client "${clientId}" was decommissioned by an administrator; the server refuses it from now on. Stop the agent, or reinstall it to enroll as a new client.` };
    case 'rejected':
      return { code: 'rejected', message: `An administrator rejected the enrollment of client "${clientId}"; the server refuses it. Reinstall the agent to enroll as a new client.` };
  }
}

/** Refusals after which an agent stops checking (nothing it retries can change them); pending is worth asking again. */
export function isFinalRefusal(code: string | undefined): boolean {
  return code === 'decommissioned' || code === 'rejected';
}

/** What an administrator may do to a client id in each status: accept and reject only pending ones; decommission any but a decommissioned one. */
export function adminTransition(action: 'accept' | 'reject' | 'decommission', status: CredentialStatus | undefined, clientId: string):
  { ok: true; status: CredentialStatus } | { ok: false; http: 404 | 409; code: string; message: string } {
  if (action === 'decommission') {
    if (status === 'decommissioned') return { ok: false, http: 409, code: 'already-decommissioned', message: `Client "${clientId}" is already decommissioned.` };
    return { ok: true, status: 'decommissioned' };
  }
  if (status === undefined) return { ok: false, http: 404, code: 'not-pending', message: `No enrollment of client "${clientId}" is waiting for admission.` };
  if (status !== 'pending') return { ok: false, http: 409, code: 'not-pending', message: `Client "${clientId}" is not waiting for admission (it is ${status}); only a pending client can be accepted or rejected.` };
  return { ok: true, status: action === 'accept' ? 'active' : 'rejected' };
}

/**
 * The client credential on the wire: `ufc.<base64url(client id)>.<secret>` as a bearer token, so a request without
 * a body (a package download) still says which client it is. The secret is 32 random bytes, base64url.
 */
export const CLIENT_TOKEN_PREFIX = 'ufc.';
export const CLIENT_SECRET_PATTERN = /^[A-Za-z0-9_-]{43,128}$/;

export function encodeClientToken(clientId: string, secret: string): string {
  return `${CLIENT_TOKEN_PREFIX}${base64url(clientId)}.${secret}`;
}

export function decodeClientToken(token: string): { clientId: string; secret: string } | undefined {
  if (!token.startsWith(CLIENT_TOKEN_PREFIX)) return undefined;
  const [id, secret, ...rest] = token.slice(CLIENT_TOKEN_PREFIX.length).split('.');
  if (rest.length > 0 || !id || !secret || !CLIENT_SECRET_PATTERN.test(secret)) return undefined;
  const clientId = fromBase64url(id);
  return clientId ? { clientId, secret } : undefined;
}

// No Buffer here (src/core has no node built-ins): client ids are ASCII by their schema.
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function base64url(text: string): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    value = (value << 8) | (ch.charCodeAt(0) & 0xff);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += B64[(value >> bits) & 63];
    }
  }
  if (bits > 0) out += B64[(value << (6 - bits)) & 63];
  return out;
}

function fromBase64url(text: string): string | undefined {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    const v = B64.indexOf(ch);
    if (v < 0) return undefined;
    value = ((value << 6) | v) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((value >> bits) & 0xff);
    }
  }
  return out;
}
