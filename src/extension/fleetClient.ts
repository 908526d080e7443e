// The admin API of the fleet server over axios. Every failure becomes a FleetApiError carrying the server's own
// sentence ({error:{code,message}}), so commands can show it as it is.
import axios, { AxiosError, type AxiosInstance, type AxiosRequestConfig } from 'axios';
import type { Readable } from 'node:stream';
import type { AuditEntry, ClientState, Policy } from '../core/types';
import {
  API_PREFIX,
  type ApiErrorBody, type ClientDetail, type FleetSettings, type GroupView, type HealthResponse, type Page, type PolicyPreviewResponse,
  type RegisterReleaseRequest, type ReleaseView, type RollbackPlanView, type RollbackRequest, type RolloutChangeResponse, type RolloutRequest, type SummaryResponse,
} from '../core/wire';
import type { Client } from '../core/types';
import { tlsRefusal } from '../core/transport';
import type { EnrollmentsPage, EnrollmentView, RotatedEnrollmentToken } from '../core/wire';

export class FleetApiError extends Error {
  constructor(
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    readonly code: string,
    message: string,
    /** The parsed error body's extra fields (e.g. the rollback plan on a 409). */
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'FleetApiError';
  }
}

export interface AuditQuery {
  /** Token name, exact. */
  actor?: string;
  /** release.approve, or a prefix ending in a dot (release.). */
  action?: string;
  target?: string;
  /** ISO-8601 bounds. */
  since?: string;
  until?: string;
  before?: number;
  limit?: number;
}

export interface WhoAmI {
  name: string;
  role: 'viewer' | 'operator' | 'admin';
}

export interface ClientQuery {
  q?: string;
  group?: string;
  state?: ClientState | '';
  version?: string;
  cursor?: string;
  limit?: number;
}

function isErrorBody(x: unknown): x is ApiErrorBody {
  return typeof x === 'object' && x !== null && typeof (x as ApiErrorBody).error?.message === 'string';
}

async function readStream(s: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * How VS Code is given a private CA: Node reads NODE_EXTRA_CA_CERTS when it starts (the extension host inherits it),
 * and desktop VS Code also trusts the system's store. Nothing about TLS goes into settings.
 */
const CONSOLE_TRUST_ADVICE = "add that CA to this computer's certificate store, or start VS Code (or code-server) with NODE_EXTRA_CA_CERTS=/path/to/ca.pem in its environment";

/** Turn whatever axios threw into a FleetApiError with a message a person can act on. */
export async function toFleetError(err: unknown, baseUrl: string): Promise<FleetApiError> {
  if (err instanceof FleetApiError) return err;
  if (err instanceof AxiosError) {
    const res = err.response;
    if (!res) {
      const tls = tlsRefusal(err.code, err.message, CONSOLE_TRUST_ADVICE);
      if (tls) return new FleetApiError(0, 'tls', `Cannot connect to the fleet server at ${baseUrl}: ${tls}.`);
      const why = err.code === 'ECONNREFUSED' ? 'connection refused' : err.code === 'ECONNABORTED' ? 'timed out' : err.message;
      return new FleetApiError(0, 'unreachable', `Cannot reach the fleet server at ${baseUrl} (${why}).`);
    }
    let data: unknown = res.data;
    if (data && typeof (data as Readable).pipe === 'function') {
      const text = await readStream(data as Readable).catch(() => '');
      try { data = JSON.parse(text); } catch { data = text; }
    } else if (typeof data === 'string') {
      try { data = JSON.parse(data); } catch { /* keep text */ }
    }
    if (isErrorBody(data)) return new FleetApiError(res.status, data.error.code, data.error.message, data);
    if (res.status === 401) return new FleetApiError(401, 'unauthorized', 'The fleet server did not accept the token: sign in again.');
    if (res.status === 403) return new FleetApiError(403, 'forbidden', 'Your token does not allow this action.');
    return new FleetApiError(res.status, 'http-' + res.status, `The fleet server answered ${res.status} ${res.statusText ?? ''}`.trim());
  }
  return new FleetApiError(0, 'error', err instanceof Error ? err.message : String(err));
}

export class FleetClient {
  private readonly http: AxiosInstance;

  constructor(readonly baseUrl: string, private readonly token: string | undefined, timeoutMs = 15_000) {
    this.http = axios.create({
      baseURL: baseUrl.replace(/\/+$/, '') + API_PREFIX,
      timeout: timeoutMs,
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      // Node's http adapter: the extension host is Node.
      adapter: 'http',
      proxy: false,
    });
  }

  get signedIn(): boolean {
    return !!this.token;
  }

  /**
   * The live feed (/events, server-sent events) as a byte stream, with the same base URL, token and transport as
   * every other call, and its failure a FleetApiError as theirs; events.ts parses it and reconnects.
   */
  openEvents(signal: AbortSignal): Promise<Readable> {
    return this.call<Readable>({ method: 'GET', url: '/events', headers: { Accept: 'text/event-stream' }, responseType: 'stream', timeout: 0, signal });
  }

  private async call<T>(config: AxiosRequestConfig): Promise<T> {
    try {
      const res = await this.http.request<T>(config);
      return res.data;
    } catch (err) {
      throw await toFleetError(err, this.baseUrl);
    }
  }

  health(timeoutMs?: number): Promise<HealthResponse> { return this.call({ method: 'GET', url: '/health', ...(timeoutMs ? { timeout: timeoutMs } : {}) }); }
  summary(): Promise<SummaryResponse> { return this.call({ method: 'GET', url: '/summary' }); }

  async releases(): Promise<ReleaseView[]> {
    const r = await this.call<ReleaseView[] | Page<ReleaseView>>({ method: 'GET', url: '/releases' });
    return Array.isArray(r) ? r : r.items;
  }
  release(id: string): Promise<ReleaseView> { return this.call({ method: 'GET', url: `/releases/${encodeURIComponent(id)}` }); }
  approve(id: string, note?: string): Promise<ReleaseView> { return this.lifecycle(id, 'approve', note); }
  revoke(id: string, note?: string): Promise<ReleaseView> { return this.lifecycle(id, 'revoke', note); }
  retire(id: string, note?: string): Promise<ReleaseView> { return this.lifecycle(id, 'retire', note); }
  private lifecycle(id: string, action: 'approve' | 'revoke' | 'retire', note?: string): Promise<ReleaseView> {
    return this.call({ method: 'POST', url: `/releases/${encodeURIComponent(id)}/${action}`, data: note ? { note } : {} });
  }

  /** The plan (dryRun) or the rollback itself. A 409 with the plan means the target must be approved first. */
  rollback(id: string, req: RollbackRequest): Promise<RollbackPlanView> {
    return this.call({ method: 'POST', url: `/releases/${encodeURIComponent(id)}/rollback`, data: req });
  }

  /** Pause Rollout / Resume Rollout (all groups the release goes to, or one). */
  pauseRollout(id: string, req: RolloutRequest = {}): Promise<RolloutChangeResponse> {
    return this.call({ method: 'POST', url: `/releases/${encodeURIComponent(id)}/pause`, data: req });
  }
  resumeRollout(id: string, req: RolloutRequest = {}): Promise<RolloutChangeResponse> {
    return this.call({ method: 'POST', url: `/releases/${encodeURIComponent(id)}/resume`, data: req });
  }

  /** The package bytes, as a stream, to test before approving. */
  async downloadArtifact(id: string): Promise<{ stream: Readable; size?: number; fileName?: string }> {
    try {
      const res = await this.http.request<Readable>({ method: 'GET', url: `/releases/${encodeURIComponent(id)}/artifact`, responseType: 'stream', timeout: 0 });
      const len = Number(res.headers['content-length']);
      const disp = String(res.headers['content-disposition'] ?? '');
      const m = /filename="?([^";]+)"?/.exec(disp);
      return { stream: res.data, size: Number.isFinite(len) && len > 0 ? len : undefined, fileName: m?.[1] };
    } catch (err) {
      throw await toFleetError(err, this.baseUrl);
    }
  }

  async groups(): Promise<GroupView[]> {
    const r = await this.call<GroupView[] | Page<GroupView>>({ method: 'GET', url: '/groups' });
    return Array.isArray(r) ? r : r.items;
  }
  policy(groupId: string): Promise<Policy> { return this.call({ method: 'GET', url: `/groups/${encodeURIComponent(groupId)}/policy` }); }
  putPolicy(groupId: string, policy: Policy): Promise<Policy> {
    return this.call({ method: 'PUT', url: `/groups/${encodeURIComponent(groupId)}/policy`, data: policy });
  }
  previewPolicy(groupId: string, policy: Policy): Promise<PolicyPreviewResponse> {
    return this.call({ method: 'POST', url: `/groups/${encodeURIComponent(groupId)}/policy/preview`, data: policy });
  }

  clients(query: ClientQuery): Promise<Page<Client>> {
    const params: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params[k] = v as string | number;
    return this.call({ method: 'GET', url: '/clients', params });
  }
  client(id: string): Promise<ClientDetail> { return this.call({ method: 'GET', url: `/clients/${encodeURIComponent(id)}` }); }
  moveClient(id: string, groupId: string): Promise<Client> {
    return this.call({ method: 'PATCH', url: `/clients/${encodeURIComponent(id)}`, data: { groupId } });
  }
  /** Clients waiting for admission (or decommissioned, rejected), oldest first. */
  enrollments(status: 'pending' | 'decommissioned' | 'rejected' = 'pending', limit = 200): Promise<EnrollmentsPage> {
    return this.call({ method: 'GET', url: '/enrollments', params: { status, limit } });
  }
  admitClient(id: string, decision: 'accept' | 'reject'): Promise<EnrollmentView> {
    return this.call({ method: 'POST', url: `/enrollments/${encodeURIComponent(id)}/${decision}`, data: {} });
  }
  decommissionClient(id: string): Promise<EnrollmentView> {
    return this.call({ method: 'POST', url: `/clients/${encodeURIComponent(id)}/decommission`, data: {} });
  }
  rotateEnrollmentToken(): Promise<RotatedEnrollmentToken> {
    return this.call({ method: 'POST', url: '/enrollment-token/rotate', data: {} });
  }

  /** The CSV report as a stream (all clients, or one state such as failed, with reasons). */
  async clientsCsv(state?: ClientState): Promise<Readable> {
    try {
      const res = await this.http.request<Readable>({ method: 'GET', url: '/reports/clients.csv', params: state ? { state } : {}, responseType: 'stream', timeout: 0 });
      return res.data;
    } catch (err) {
      throw await toFleetError(err, this.baseUrl);
    }
  }

  async audit(query: AuditQuery | number = 50): Promise<AuditEntry[]> {
    const q: AuditQuery = typeof query === 'number' ? { limit: query } : { limit: 50, ...query };
    const params: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') params[k] = v as string | number;
    const r = await this.call<AuditEntry[] | Page<AuditEntry>>({ method: 'GET', url: '/audit', params });
    return Array.isArray(r) ? r : r.items;
  }

  /** The token's name and role (servers before whoami answer 404: the caller treats the role as unknown). */
  whoami(): Promise<WhoAmI> { return this.call({ method: 'GET', url: '/whoami' }); }

  /** Fleet-wide settings: seed 000's minimum auto-upgrade version. */
  settings(): Promise<FleetSettings> { return this.call({ method: 'GET', url: '/settings' }); }
  putSettings(s: FleetSettings): Promise<FleetSettings> { return this.call({ method: 'PUT', url: '/settings', data: s }); }

  registerRelease(req: RegisterReleaseRequest): Promise<ReleaseView> {
    return this.call({ method: 'POST', url: '/releases', data: req });
  }

  /** Notes and mandatory, while the release is pending. */
  editRelease(id: string, patch: { notes?: string; mandatory?: boolean }): Promise<ReleaseView> {
    return this.call({ method: 'PATCH', url: `/releases/${encodeURIComponent(id)}`, data: patch });
  }

  /** Upload the package bytes as a stream; `onBytes` reports how much went out. */
  uploadArtifact(id: string, body: Readable, size: number, signature?: string, onBytes?: (sent: number) => void): Promise<ReleaseView> {
    return this.call({
      method: 'PUT',
      url: `/releases/${encodeURIComponent(id)}/artifact`,
      data: body,
      timeout: 0,
      maxBodyLength: Infinity,
      maxContentLength: Infinity,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size), ...(signature ? { 'X-Package-Signature': signature } : {}) },
      onUploadProgress: onBytes ? (e) => onBytes(e.loaded) : undefined,
    });
  }
}
