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
