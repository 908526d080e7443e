// A real fleet server for tests: free loopback port, a fresh SQLite file in a temp dir, known tokens.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/app';

/** When set (postgres://user:pass@host/), every test server gets its own fresh PostgreSQL database instead of SQLite. */
export const POSTGRES_URL = process.env.UPDATE_FLEET_TEST_POSTGRES_URL;

async function adminQuery(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: POSTGRES_URL });
  await c.connect();
  try { await c.query(text); } finally { await c.end(); }
}

export async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `uf_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_URL!);
  url.pathname = '/' + name;
  return { url: url.toString(), drop: () => dropDatabase(name) };
}

/**
 * WITH (FORCE) ends the test's own connections, but not an autovacuum worker that happens to be in the database
 * (it belongs to the superuser): that refusal passes within moments, so try again a few times.
 */
async function dropDatabase(name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      return;
    } catch (err) {
      if (attempt >= 20 || !/pg_signal_backend|being accessed by other users/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export interface TestServer {
  url: string;
  adminToken: string;
  enrollToken: string;
  dataDir: string;
  server: RunningServer;
  /** The PostgreSQL database of this server (when the suite runs on PostgreSQL). */
  postgresUrl?: string;
  /** Stop and start again on the same data dir (restart keeps everything). */
  restart(): Promise<TestServer>;
  close(): Promise<void>;
}

export async function startTestServer(opts: { demo?: boolean; dataDir?: string; eventFlushMs?: number; summaryEveryMs?: number; /** Another process on the same PostgreSQL database. */ shareDatabaseWith?: TestServer; requireDownloadBeforeApproval?: boolean; /** More server options (limits, keys). */ server?: Partial<ServerOptions> } = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'uf-server-')));
  const shared = opts.shareDatabaseWith;
  const adminToken = shared?.adminToken ?? `ufa_test_${randomBytes(12).toString('hex')}`;
  const enrollToken = shared?.enrollToken ?? `ufe_test_${randomBytes(12).toString('hex')}`;
  const pgdb = shared?.postgresUrl ? { url: shared.postgresUrl, drop: async () => {} } : POSTGRES_URL ? await freshPostgresDatabase() : undefined;
  const boot = async (): Promise<TestServer> => {
    const server = await startServer({ dataDir, port: 0, host: '127.0.0.1', demo: opts.demo, adminToken, enrollToken, eventFlushMs: opts.eventFlushMs ?? 100, summaryEveryMs: opts.summaryEveryMs ?? 100, postgresUrl: pgdb?.url, requireDownloadBeforeApproval: opts.requireDownloadBeforeApproval, ...opts.server });
    const ts: TestServer = {
      url: server.url, adminToken, enrollToken, dataDir, server, postgresUrl: pgdb?.url,
      async restart() {
        await server.close();
        return boot();
      },
      async close() {
        await server.close();
        if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
        await pgdb?.drop();
      },
    };
    return ts;
  };
  return boot();
}
