// Mocha root-hook plugin of the UI suite (loaded with --require): before all tests, a fleet server with the demo
// fleet, code-server with the built extension, Chromium on the workbench; after all tests — passed or not — all
// of it stops. A failed test leaves a screenshot (failed-<test>.png).
import { randomBytes } from 'node:crypto';
import { encodeClientToken } from '../../src/core/admission';
import type { Context } from 'mocha';
import { killAllSync } from '../../src/demo/processes';
import { startStack, type Stack } from './harness';
import { openWorkbench, screenshot, showFleetViews, widenSideBar } from './workbench';

let current: Stack | undefined;

/** The running stack (server, code-server, page). */
export function stack(): Stack {
  if (!current) throw new Error('The e2e stack is not running (the root hook failed to start it).');
  return current;
}

/** The fleet server's admin API, as a test would call it with curl. */
export async function api<T = unknown>(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<{ status: number; body: T; text: string }> {
  const s = stack().server;
  const prefix = path.startsWith('/agent/') ? '' : '/api/v1';
  const res = await fetch(`${s.url}${prefix}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      Authorization: `Bearer ${init.token ?? s.adminToken}`,
      ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // CSV or empty
  }
  return { status: res.status, body: body as T, text };
}

export const mochaHooks = {
  async beforeAll(this: Context): Promise<void> {
    this.timeout(180_000);
    current = await startStack({ name: 'ui' });
    current.page.on('pageerror', (e) => console.error(`      [page error] ${e.message}`));
    await openWorkbench(current.page, current.codeServer.workbenchUrl);
    await showFleetViews(current.page);
    await widenSideBar(current.page, 480);
  },
  async afterEach(this: Context): Promise<void> {
    const t = this.currentTest;
    if (current && t?.state === 'failed') {
      const name = `failed-${t.fullTitle().replace(/[^a-z0-9]+/gi, '-').slice(0, 80)}`;
      const file = await screenshot(current.page, name).catch(() => undefined);
      if (file) console.error(`      screenshot of the failure: ${file}`);
    }
  },
  async afterAll(this: Context): Promise<void> {
    this.timeout(60_000);
    const s = current;
    current = undefined;
    await s?.stop();
  },
};

// If mocha is interrupted, nothing started here may outlive it.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killAllSync();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

const clientTokens = new Map<string, Promise<string>>();
/** A machine's own credential: enrolled once with the enrollment token (a random secret), as a real agent does. */
export function clientToken(clientId: string): Promise<string> {
  let t = clientTokens.get(clientId);
  if (!t) {
    t = (async () => {
      const secret = randomBytes(32).toString('base64url');
      const r = await api<{ status: string }>('/agent/v1/enroll', { body: { clientId, secret, name: clientId, computer: clientId.toUpperCase(), ip: '10.250.0.1', user: 'e2e' }, token: stack().server.enrollToken });
      if (r.status !== 201 && r.status !== 200) throw new Error(`enrolling ${clientId}: ${r.text}`);
      return encodeClientToken(clientId, secret);
    })();
    clientTokens.set(clientId, t);
  }
  return t;
}
