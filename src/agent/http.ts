// The agent's HTTP client: axios with errors turned into sentences. The enrollment token is attached per request
// and only to the server's own origin, so a package hosted elsewhere (a CDN) never sees it.
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { Agent as HttpsAgent } from 'node:https';
import { rootCertificates } from 'node:tls';
import { tlsRefusal } from '../core/transport';
import { AgentFailure } from './errors';

export const USER_AGENT = 'update-fleet-agent/0.1';

export interface HttpOptions {
  /** A private CA's certificate(s), PEM (--ca FILE): trusted beside the public roots, so a package CDN still works. */
  caPem?: string;
}

export function createHttp(timeoutMs = 30_000, o: HttpOptions = {}): AxiosInstance {
  return axios.create({
    timeout: timeoutMs,
    // Every status comes back as a response; the callers decide what each means.
    validateStatus: () => true,
    headers: { 'User-Agent': USER_AGENT },
    maxRedirects: 5,
    ...(o.caPem ? { httpsAgent: new HttpsAgent({ ca: [...rootCertificates, o.caPem] }) } : {}),
  });
}

export function authHeader(token: string | undefined): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

export function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/** A URL without its query and fragment: query strings may hold signed-URL secrets. */
export function printableUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function serverMessage(data: unknown): string | undefined {
  if (typeof data === 'string') {
    try {
      return serverMessage(JSON.parse(data));
    } catch {
      return data.trim().slice(0, 200) || undefined;
    }
  }
  const err = (data as { error?: { message?: unknown } } | undefined)?.error;
  return typeof err?.message === 'string' ? err.message : undefined;
}

/** "HTTP 401 Unauthorized: the enrollment token is not valid" */
export function describeStatus(res: Pick<AxiosResponse, 'status' | 'statusText' | 'data'>): string {
  const text = res.statusText ? ` ${res.statusText}` : '';
  const msg = typeof res.data === 'object' && res.data !== null && typeof (res.data as { pipe?: unknown }).pipe === 'function' ? undefined : serverMessage(res.data);
  return `HTTP ${res.status}${text}${msg ? `: ${msg}` : ''}`;
}

/** TLS refusals in words an administrator can act on; undefined for other errors. */
export function tlsProblem(code: string | undefined, message: string): string | undefined {
  return tlsRefusal(code, message, "give that CA's certificate with --ca FILE");
}

/** A request that never got a response: connection refused, DNS, timeout, an untrusted certificate. */
export function networkFailure(e: unknown, what: string, url: string): AgentFailure {
  const code = (e as { code?: string }).code;
  const tls = tlsProblem(code, (e as Error).message);
  if (tls) return new AgentFailure(`${what} failed: ${printableUrl(url)}: ${tls}`, { cause: e });
  const detail = code === 'ECONNABORTED' || code === 'ETIMEDOUT' ? 'timed out' : code ?? (e as Error).message;
  return new AgentFailure(`${what} failed: cannot reach ${printableUrl(url)} (${detail})`, { cause: e });
}
