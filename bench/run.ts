// Benchmarks. Each prints a ratio against a baseline measured in the same run (these machines are shared and
// noisy, so absolute timings mean little). Run: npm run bench [-- --clients 1000000 --checkins 20000]
//   search:  trigram-indexed keyword search vs the literal substring scan it replaces, on N clients
//   checkin: fleet-server check-ins per second vs a bare node:http server answering fixed JSON, same client
//   simulator: CPU time the simulator spends per request (thousands of virtual clients in one process) vs a bare
//              loop sending the same check-ins over the same kind of keep-alive agent; the server runs in a child
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'node:http';
import { spawn } from 'node:child_process';
import type { Client } from '../src/core/types';
import { runSimulator } from '../src/agent/simulator';
import { FleetStore } from '../src/server/store/store';
import { startServer } from '../src/server/app';
import { encodeClientToken } from '../src/core/admission';
import { simulatedClientSecret } from '../src/agent/simulator';

const { values } = parseArgs({ options: { clients: { type: 'string', default: '200000' }, checkins: { type: 'string', default: '8000' }, simulated: { type: 'string', default: '3000' }, only: { type: 'string' } } });
const N = Number(values.clients);
const M = Number(values.checkins);

function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = process.hrtime.bigint();
  return fn().then((r) => [Number(process.hrtime.bigint() - t0) / 1e6, r]);
}

async function benchSearch(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'uf-bench-'));
  const store = await FleetStore.open({ sqliteFile: join(dir, 'fleet.db') });
  try {
    await store.db.insertInto('groups').values({ id: 'default', name: 'Default', name_key: 'default', description: '', policy: '{}', created_at: '' }).execute();
    const now = new Date().toISOString();
    const batch: Client[] = [];
    for (let i = 0; i < N; i++) {
      batch.push({
        id: `c-${i}`, name: `User ${i % 9973} ${(i * 7919) % 100003}`, computer: `PC-${String(i).padStart(7, '0')}`, ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        user: `u${(i * 31) % 50021}.name`, groupId: 'default', version: '1.0.0', state: 'up-to-date', targetVersion: null, reason: null, deferredUntil: null, lastSeen: now,
      });
      if (batch.length === 20_000) await store.insertClients(batch.splice(0));
    }
    if (batch.length) await store.insertClients(batch.splice(0));
    const queries = ['PC-0123', '10.1.2.', 'u4242.', 'User 77 ', '0004567'];
    const runIndexed = async () => { for (const q of queries) await store.clientQueries.pageClients({ q, limit: 100 }); };
    // Baseline: the scan a search without an index does (same literal, case-insensitive substring semantics).
    const runScan = async () => {
      for (const q of queries) {
        const pat = q.toLowerCase();
        await store.db.selectFrom('clients').selectAll()
          .where((eb) => eb.or((['name', 'computer', 'ip', 'user_name'] as const).map((c) => eb(eb.fn('instr', [eb.fn('lower', [eb.ref(c)]), eb.val(pat)]), '>', 0))))
          .orderBy('computer').orderBy('id').limit(100).execute();
        await store.db.selectFrom('clients').select((eb) => eb.fn.countAll().as('n'))
          .where((eb) => eb.or((['name', 'computer', 'ip', 'user_name'] as const).map((c) => eb(eb.fn('instr', [eb.fn('lower', [eb.ref(c)]), eb.val(pat)]), '>', 0))))
          .execute();
      }
    };
    await runIndexed(); await runScan();
    const [tIdx] = await time(runIndexed);
    const [tScan] = await time(runScan);
    console.log(`search  clients=${N}  indexed=${tIdx.toFixed(1)}ms  scan(baseline)=${tScan.toFixed(1)}ms  speed-up=${(tScan / tIdx).toFixed(1)}x  (per query indexed ${(tIdx / queries.length).toFixed(1)}ms)`);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** `headers` per request: each simulated client sends its own credential. */
async function load(port: number, path: string, bodies: (i: number) => string, headers: Record<string, string> | ((i: number) => Record<string, string>), concurrency = 32, requests = M): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const one = (i: number) => new Promise<void>((resolve, reject) => {
    const body = bodies(i);
    const extra = typeof headers === 'function' ? headers(i) : headers;
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...extra } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode! >= 200 && res.statusCode! < 300 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
  const [ms] = await time(() => Promise.all(Array.from({ length: concurrency }, async () => { while (next < requests) await one(next++); })));
  agent.destroy();
  return (requests / ms) * 1000;
}

async function benchCheckin(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'uf-bench-'));
  const server = await startServer({ dataDir: dir, port: 0, adminToken: 'ufa_bench_admin_token', enrollToken: 'ufe_bench_enroll_token', demo: true });
  const bare = createServer((req, res) => {
    req.resume();
    req.on('end', () => { res.setHeader('content-type', 'application/json'); res.end('{"action":"none","reason":"up-to-date","message":"ok","nextCheckSeconds":86400,"startupDelaySeconds":300}'); });
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  try {
    const bodies = (i: number) => JSON.stringify({ clientId: `bench-${i % 5000}`, name: `Bench ${i % 5000}`, computer: `BENCH-${i % 5000}`, ip: '10.9.9.9', user: 'b.user', version: '3.58.0.0' });
    const port = (bare.address() as { port: number }).port;
    // Each bench client enrolls once (not timed), then checks in with its own credential, as agents do.
    const id = (i: number) => `bench-${i % 5000}`;
    const enrollBody = (i: number) => JSON.stringify({ clientId: id(i), secret: simulatedClientSecret('bench', i % 5000), name: `Bench ${i % 5000}`, computer: `BENCH-${i % 5000}`, ip: '10.9.9.9', user: 'b.user' });
    await load(server.port, '/agent/v1/enroll', enrollBody, { authorization: 'Bearer ufe_bench_enroll_token' }, 32, 5000);
    const asClient = (i: number) => ({ authorization: `Bearer ${encodeClientToken(id(i), simulatedClientSecret('bench', i % 5000))}` });
    await load(port, '/', bodies, {});
    await load(server.port, '/agent/v1/checkin', bodies, asClient);
    const bareRate = await load(port, '/', bodies, {});
    const fleetRate = await load(server.port, '/agent/v1/checkin', bodies, asClient);
    console.log(`checkin requests=${M}  fleet=${fleetRate.toFixed(0)}/s  bare-http(baseline)=${bareRate.toFixed(0)}/s  ratio=${(fleetRate / bareRate).toFixed(2)}`);
  } finally {
    bare.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The fleet server as its own process (dist/server.js), so this process's CPU time is the client side only. */
async function serverProcess(dir: string): Promise<{ url: string; stop(): void }> {
  const proc = spawn(process.execPath, ['dist/server.js', '--data', dir, '--port', '0'], {
    env: { ...process.env, UPDATE_FLEET_ADMIN_TOKEN: 'ufa_bench_admin_token', UPDATE_FLEET_ENROLL_TOKEN: 'ufe_bench_enroll_token' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    proc.on('exit', (code) => reject(new Error(`the server exited (${code}); run npm run build first`)));
  });
  return { url, stop: () => proc.kill() };
}

async function benchSimulator(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'uf-bench-'));
  const server = await serverProcess(dir);
  const count = Number(values.simulated);
  try {
    const port = Number(new URL(server.url).port);
    // Baseline: the cheapest client that sends the same check-ins (no client state, no decisions).
    const bodies = (i: number) => JSON.stringify({ clientId: `bare-${i % count}`, name: 'b', computer: 'B', ip: '10.0.0.1', user: 'u', version: '1.0.0' });
    const secret = (i: number) => simulatedClientSecret('bare', i % count);
    await load(port, '/agent/v1/enroll', (i) => JSON.stringify({ clientId: `bare-${i % count}`, secret: secret(i), name: 'b', computer: 'B', ip: '10.0.0.1', user: 'u' }), { authorization: 'Bearer ufe_bench_enroll_token' }, 64, count);
    const asClient = (i: number) => ({ authorization: `Bearer ${encodeClientToken(`bare-${i % count}`, secret(i))}` });
    const c0 = process.cpuUsage();
    const t0 = Date.now();
    await load(port, '/agent/v1/checkin', bodies, asClient, 64);
    const bareCpu = process.cpuUsage(c0);
    const bareMs = Date.now() - t0;
    const bareCpuPerReq = (bareCpu.user + bareCpu.system) / M;

    // The simulator: `count` clients checking in every few seconds for 15 s.
    const sim = runSimulator({ server: server.url, token: 'ufe_bench_enroll_token', count, intervalScale: 0.00005, rampSeconds: 2, durationSeconds: 15, prefix: 'bench', concurrency: 64 });
    const c1 = process.cpuUsage();
    const t1 = Date.now();
    await sim.done;
    const simCpu = process.cpuUsage(c1);
    const secs = (Date.now() - t1) / 1000;
    const st = sim.stats();
    const requests = st.checkins + st.reports;
    const simCpuPerReq = (simCpu.user + simCpu.system) / Math.max(1, requests);
    console.log(`simulator clients=${count}  ${(requests / secs).toFixed(0)} requests/s (${st.checkins} check-ins, ${st.reports} reports, ${st.errors} errors)  client CPU ${(((simCpu.user + simCpu.system) / 1e6 / secs) * 100).toFixed(0)}% of one core  CPU/request ${simCpuPerReq.toFixed(0)}µs vs bare loop(baseline) ${bareCpuPerReq.toFixed(0)}µs (${(M / bareMs * 1000).toFixed(0)}/s)  ratio=${(simCpuPerReq / bareCpuPerReq).toFixed(2)}`);
  } finally {
    server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (!values.only || values.only === 'search') await benchSearch();
  if (!values.only || values.only === 'checkin') await benchCheckin();
  if (!values.only || values.only === 'simulator') await benchSimulator();
}

main().catch((err) => { console.error(err); process.exit(1); });
