import { randomBytes } from 'node:crypto';
import { encodeClientToken } from '../../src/core/admission';
// Small fetch wrapper for tests: JSON in, status + parsed body out.
export interface Res<T = any> { status: number; body: T; text: string; headers: Headers }

export async function call<T = any>(base: string, method: string, path: string, opts: { token?: string; json?: unknown; body?: BodyInit; headers?: Record<string, string> } = {}): Promise<Res<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body = opts.body;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  }
  const r = await fetch(base + path, { method, headers, body });
  const text = await r.text();
  let parsed: any = text;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
  return { status: r.status, body: parsed as T, text, headers: r.headers };
}

export function client(base: string, token?: string) {
  return {
    get: <T = any>(p: string) => call<T>(base, 'GET', p, { token }),
    post: <T = any>(p: string, json?: unknown) => call<T>(base, 'POST', p, { token, json: json ?? {} }),
    put: <T = any>(p: string, json?: unknown) => call<T>(base, 'PUT', p, { token, json }),
    patch: <T = any>(p: string, json?: unknown) => call<T>(base, 'PATCH', p, { token, json }),
    del: <T = any>(p: string) => call<T>(base, 'DELETE', p, { token }),
    raw: <T = any>(method: string, p: string, o: { body?: BodyInit; headers?: Record<string, string> }) => call<T>(base, method, p, { token, ...o }),
  };
}

export function checkinBody(id: string, version: string, extra: Record<string, unknown> = {}) {
  return { clientId: id, name: `Client ${id}`, computer: id.toUpperCase(), ip: '10.0.0.1', user: 'j.doe', version, ...extra };
}

/**
 * An agent side for tests: each client id enrolls once with the enrollment token (its own random secret), then
 * checks in and reports with its own credential, as a real agent does. `tokenFor` gives a client's bearer token.
 */
/** Client credentials made by enrolledAgent, by enrollment token (one per fleet) and client id. */
const tokens = new Map<string, Promise<string>>();

export function enrolledAgent(base: string, enrollToken: string, opts: { /** An admin token that accepts a client held as pending (a known id, manual admission). */ admitWith?: string } = {}) {
  const tokenFor = (id: string): Promise<string> => {
    // One credential per client of a fleet (its enrollment token), whichever test or server process asks: a second
    // enrollment with another secret is refused.
    const key = `${enrollToken} ${id}`;
    let t = tokens.get(key);
    if (!t) {
      t = (async () => {
        const secret = randomBytes(32).toString('base64url');
        const r = await call(base, 'POST', '/agent/v1/enroll', { token: enrollToken, json: { clientId: id, secret, name: `Client ${id}`, computer: id.toUpperCase(), ip: '10.0.0.1', user: 'j.doe' } });
        if (r.status !== 201 && r.status !== 200) throw new Error(`enrolling ${id}: HTTP ${r.status} ${r.text}`);
        if (r.body.status === 'pending' && opts.admitWith) {
          const a = await call(base, 'POST', `/api/v1/enrollments/${encodeURIComponent(id)}/accept`, { token: opts.admitWith });
          if (a.status !== 200) throw new Error(`accepting ${id}: HTTP ${a.status} ${a.text}`);
        }
        return encodeClientToken(id, secret);
      })();
      tokens.set(key, t);
    }
    return t;
  };
  const idOf = (p: string, json: unknown): string => (json as { clientId?: string } | undefined)?.clientId ?? new URL(p, base).searchParams.get('clientId') ?? '';
  return {
    tokenFor,
    post: async <T = any>(p: string, json?: { clientId?: string } & Record<string, unknown>) => call<T>(base, 'POST', p, { token: await tokenFor(idOf(p, json)), json: json ?? {} }),
    get: async <T = any>(p: string) => call<T>(base, 'GET', p, { token: await tokenFor(idOf(p, undefined)) }),
    /** A request as an enrolled client whose id the path or body does not name (a package download). */
    as: async <T = any>(id: string, method: string, p: string, o: { json?: unknown; headers?: Record<string, string> } = {}) => call<T>(base, method, p, { token: await tokenFor(id), ...o }),
  };
}

/** fetch with a bearer token (package downloads need a client credential, or a legacy client's enrollment token). */
export function fetchWithToken(token: string) {
  return (url: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    fetch(url, { ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${token}` } });
}
