// Who an agent is (issue 9): enrollment with the enrollment token, the client credential checked on every later
// agent request, manual admission, decommission. The decisions are core's (admission.ts); this file keeps the
// records. Verifying a request costs one primary-key read and one sha256, so check-ins stay cheap at a million clients.
import { timingSafeEqual } from 'node:crypto';
import {
  adminTransition, decodeClientToken, enrollOutcome, refusalFor,
  type AdmissionMode, type CredentialStatus,
} from '../core/admission';
import type { EnrollmentView, EnrollRequest, EnrollResponse } from '../core/wire';
import type { Client } from '../core/types';
import { hashToken } from './auth';
import { ApiError } from './errors';
import type { Fleet } from './fleet';
import type { CredentialRecord } from './store/credentials';

/** Events for the Pending list go out under this pseudo group id. */
export const PENDING_EVENT_GROUP = 'pending';

const sameHash = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export class ClientIdentities {
  constructor(
    private readonly fleet: Fleet,
    readonly admission: AdmissionMode,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private get store() {
    return this.fleet.store;
  }

  async enroll(req: EnrollRequest, address: string): Promise<{ created: boolean; response: EnrollResponse }> {
    const existing = await this.store.credentials.get(req.clientId);
    const hash = hashToken(req.secret);
    const known = !existing && !!(await this.store.getClient(req.clientId));
    const outcome = enrollOutcome(req.clientId, {
      mode: this.admission,
      existing: existing && { status: existing.status, hasSecret: existing.secretHash !== null, sameSecret: existing.secretHash !== null && sameHash(existing.secretHash, hash) },
      knownClient: known,
    });
    if (outcome.kind === 'refuse') throw new ApiError(outcome.http, outcome.code, outcome.message);
    if (outcome.kind === 'again') return { created: false, response: this.answer(req.clientId, outcome.status) };
    await this.store.credentials.put({
      clientId: req.clientId, secretHash: hash, status: outcome.status, name: req.name, computer: req.computer, ip: req.ip, user: req.user,
      address, enrolledAt: this.now().toISOString(), decidedAt: null, decidedBy: null,
    });
    if (outcome.status === 'pending') this.fleet.events.clientsChanged(PENDING_EVENT_GROUP);
    return { created: true, response: this.answer(req.clientId, outcome.status) };
  }

  private answer(clientId: string, status: CredentialStatus): EnrollResponse {
    return { clientId, status, message: refusalFor(clientId, status)?.message ?? `Client "${clientId}" is enrolled; it checks in with its own credential from now on.` };
  }

  /**
   * The client a bearer token proves, with its row as stored (read together with the credential, so a check-in
   * reads nothing more), or an ApiError a person can read. Undefined when the token is not a client token at all
   * (then it may be the enrollment token, for the legacy path).
   */
  async authenticate(token: string): Promise<{ clientId: string; client: Client | undefined } | undefined> {
    const t = decodeClientToken(token);
    if (!t) return undefined;
    const { credential: rec, client } = await this.store.getAgent(t.clientId);
    if (!rec || rec.secretHash === null) {
      throw new ApiError(401, 'not-enrolled', `Client "${t.clientId}" is not enrolled on this server; enroll it with the enrollment token first (POST /agent/v1/enroll).`);
    }
    if (!sameHash(rec.secretHash, hashToken(t.secret))) throw new ApiError(401, 'unauthorized', `The credential of client "${t.clientId}" is not valid.`);
    const refusal = refusalFor(t.clientId, rec.status);
    if (refusal) throw new ApiError(403, refusal.code, refusal.message);
    return { clientId: t.clientId, client };
  }

  /**
   * The legacy check.ini with the enrollment token cannot tell one client from another: it may answer for an id
   * that has no credential of its own, never for one that has (that one must use it), nor for a refused one. Under
   * manual admission an unknown id is held as pending, without a secret.
   */
  async admitLegacy(clientId: string, seen: { version: string; address: string }): Promise<void> {
    const rec = await this.store.credentials.get(clientId);
    if (rec?.secretHash) {
      throw new ApiError(403, 'has-credential', `Client "${clientId}" is enrolled with its own credential; the enrollment token cannot check in for it.`);
    }
    if (rec) {
      const refusal = refusalFor(clientId, rec.status);
      if (refusal) throw new ApiError(403, refusal.code, refusal.message);
      return;
    }
    if (this.admission === 'automatic' || (await this.store.getClient(clientId))) return;
    await this.store.credentials.put({
      clientId, secretHash: null, status: 'pending', name: clientId, computer: clientId, ip: seen.address, user: '', address: seen.address,
      enrolledAt: this.now().toISOString(), decidedAt: null, decidedBy: null,
    });
    this.fleet.events.clientsChanged(PENDING_EVENT_GROUP);
    const r = refusalFor(clientId, 'pending')!;
    throw new ApiError(403, r.code, r.message);
  }

  async list(status: CredentialStatus, limit: number): Promise<{ items: EnrollmentView[]; total: number }> {
    const [rows, total] = await Promise.all([this.store.credentials.list(status, limit), this.store.credentials.count(status)]);
    return { items: rows.map(view), total };
  }

  async decide(action: 'accept' | 'reject', clientId: string, actor: { name: string }): Promise<EnrollmentView> {
    const rec = await this.store.credentials.get(clientId);
    const t = adminTransition(action, rec?.status, clientId);
    if (!t.ok) throw new ApiError(t.http, t.code, t.message);
    const at = this.now().toISOString();
    await this.store.credentials.setStatus(clientId, t.status, at, actor.name);
    await this.fleet.audit(actor, `client.${action}`, rec!.computer || clientId, { clientId, address: rec!.address });
    this.fleet.events.clientsChanged(PENDING_EVENT_GROUP);
    return view({ ...rec!, status: t.status, decidedAt: at, decidedBy: actor.name });
  }

  /** Refused from now on; the client leaves the fleet and its counts (its history and the audit entry stay). */
  async decommission(clientId: string, actor: { name: string }): Promise<EnrollmentView> {
    const [rec, client] = await Promise.all([this.store.credentials.get(clientId), this.store.getClient(clientId)]);
    if (!rec && !client) throw new ApiError(404, 'not-found', `No client "${clientId}".`);
    const t = adminTransition('decommission', rec?.status, clientId);
    if (!t.ok) throw new ApiError(t.http, t.code, t.message);
    const at = this.now().toISOString();
    const record: CredentialRecord = rec
      ? { ...rec, status: 'decommissioned', decidedAt: at, decidedBy: actor.name }
      : {
        clientId, secretHash: null, status: 'decommissioned', name: client!.name, computer: client!.computer, ip: client!.ip, user: client!.user,
        address: client!.address ?? '', enrolledAt: client!.lastSeen, decidedAt: at, decidedBy: actor.name,
      };
    await this.store.credentials.put(record);
    if (client) {
      await this.store.deleteClient(clientId);
      this.fleet.clientsRemoved(client.groupId);
    }
    if (rec?.status === 'pending') this.fleet.events.clientsChanged(PENDING_EVENT_GROUP);
    await this.fleet.audit(actor, 'client.decommission', client?.computer || record.computer || clientId, { clientId, group: client?.groupId ?? null });
    return view(record);
  }
}

/** The record without its secret's hash. */
function view(r: CredentialRecord): EnrollmentView {
  const { secretHash: _secret, ...rest } = r;
  return rest;
}
