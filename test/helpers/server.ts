// A real fleet server for tests: free loopback port, a fresh SQLite file in a temp dir, known tokens.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/server/app';

export interface TestServer {
  url: string;
  adminToken: string;
  enrollToken: string;
  dataDir: string;
  server: RunningServer;
  /** Stop and start again on the same data dir (restart keeps everything). */
  restart(): Promise<TestServer>;
  close(): Promise<void>;
}

export async function startTestServer(opts: { demo?: boolean; dataDir?: string; eventFlushMs?: number } = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'uf-server-')));
  const adminToken = `ufa_test_${randomBytes(12).toString('hex')}`;
  const enrollToken = `ufe_test_${randomBytes(12).toString('hex')}`;
  const boot = async (): Promise<TestServer> => {
    const server = await startServer({ dataDir, port: 0, host: '127.0.0.1', demo: opts.demo, adminToken, enrollToken, eventFlushMs: opts.eventFlushMs ?? 100 });
    const ts: TestServer = {
      url: server.url, adminToken, enrollToken, dataDir, server,
      async restart() {
        await server.close();
        return boot();
      },
      async close() {
        await server.close();
        if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
      },
    };
    return ts;
  };
  return boot();
}
