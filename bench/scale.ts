// The scale benchmark (issue 8): a million clients on one server, driven by wrk, every row printed next to its
// target and a bare node:http server measured in the same run with the same wrk script.
//   npm run bench:scale [-- --clients 1000000 --seconds 10 --rounds 3 --postgres postgres://fleet:fleet@127.0.0.1/postgres [--compare]]
// --compare measures the million-client rows on SQLite and then on PostgreSQL in one run, and prints each figure of
// the two side by side with PostgreSQL's factor (issue 8: PostgreSQL within 2x of SQLite on every row).
// The rates that are compared with the bare server are measured in rounds that alternate the two (bare, server,
// bare, server, …): this machine's speed drifts by tens of percent within a minute, and a drift then moves both
// sides of a round alike. The median round's ratio is the figure; the spread is printed beside it.
// The fleet is built once and cached (.cache/bench/): SQLite file, or a PostgreSQL database named after its size.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { seededRandom } from '../src/core/prng';
import type { Client, ClientState } from '../src/core/types';
import { startServer } from '../src/server/app';
import { hashToken } from '../src/server/auth';
import { CheckinBody } from '../src/server/schemas';

const { values } = parseArgs({ options: {
  clients: { type: 'string', default: '1000000' }, seconds: { type: 'string', default: '10' }, postgres: { type: 'string' },
  only: { type: 'string' }, rounds: { type: 'string', default: '3' }, compare: { type: 'boolean', default: false },
} });
const N = Number(values.clients);
const SECONDS = Number(values.seconds);
/** Alternating rounds of the baseline and the server for every rate compared with the baseline. */
const ROUNDS = Math.max(1, Math.floor(Number(values.rounds)));
const ADMIN = 'ufa_bench_admin_token_scale';
const ENROLL = 'ufe_bench_enroll_token_scale';
const ROOT = resolve(__dirname, '..');
const CACHE = join(ROOT, '.cache', 'bench');
const WRK = join(ROOT, 'bench', 'wrk');
const PG_BASE = values.postgres;
if (values.compare && !PG_BASE) throw new Error('--compare needs --postgres URL (the PostgreSQL server to compare with).');

interface WrkResult { requests: number; seconds: number; errors: number; non2xx: number; p50: number; p95: number; p99: number; max: number; rate: number }

function wrk(url: string, script: string, opts: { connections: number; seconds: number; env?: Record<string, string>; path?: string }): Promise<WrkResult> {
  const args = ['-t', opts.connections > 1 ? '2' : '1', '-c', String(opts.connections), '-d', `${opts.seconds}s`, '--timeout', '10s', '-s', join(WRK, script), url + (opts.path ?? '')];
  return new Promise((resolvePromise, reject) => {
    const p = spawn('wrk', args, { env: { ...process.env, WRK_DIR: WRK, ...opts.env } });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('error', (e) => reject(new Error(`wrk: ${e.message} (install it: apt-get install wrk, or bash scripts/setup.sh)`)));
    p.on('exit', () => {
      const m = /WRK (\{.*\})/.exec(out);
      if (!m) return reject(new Error(`wrk printed no result:\n${out}`));
      const r = JSON.parse(m[1]) as Omit<WrkResult, 'rate'>;
      resolvePromise({ ...r, rate: r.requests / r.seconds });
    });
  });
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Linux's clock ticks per second for the CPU times in /proc (USER_HZ: 100 on every Linux build in use). */
const TICKS = 100;

/** CPU seconds so far: a process's, all its threads (user + system), or, without a pid, the machine's busy time. */
function cpuSeconds(pid?: number): number {
  if (pid === undefined) {
    // user nice system idle iowait irq softirq steal: all but idle and iowait
    const v = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return (v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] ?? 0)) / TICKS;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS; // utime, stime (fields 14 and 15 of stat)
}

/** A run with the CPU it cost: the process's per request (µs) and the share of the machine's cores that were busy. */
type Costed<T> = T & { cpuUsPerRequest: number; machineUsPerRequest: number; machineBusy: number };

async function costed<T extends WrkResult>(pid: number, run: () => Promise<T>): Promise<Costed<T>> {
  const [p0, m0, t0] = [cpuSeconds(pid), cpuSeconds(), process.hrtime.bigint()];
  const r = await run();
  const [p1, m1, t1] = [cpuSeconds(pid), cpuSeconds(), process.hrtime.bigint()];
  const wall = Number(t1 - t0) / 1e9;
  const requests = Math.max(r.requests, 1);
  return { ...r, cpuUsPerRequest: ((p1 - p0) * 1e6) / requests, machineUsPerRequest: ((m1 - m0) * 1e6) / requests, machineBusy: (m1 - m0) / (wall * availableParallelism()) };
}

/**
 * Why a rate is where it is, from the same rounds: the server's CPU per request against the bare server's, the whole
 * machine's (wrk, the kernel and, on PostgreSQL, the database's processes included), how busy the machine was, and
 * how many cores the server process alone would need at `target` times the bare rate at today's cost.
 */
function cpuContext(r: Rounds<Costed<WrkResult>, Costed<WrkResult>>, target: number): string {
  const us = median(r.runs.map((x) => x.cpuUsPerRequest));
  const bareUs = median(r.bare.map((x) => x.cpuUsPerRequest));
  const machineUs = median(r.runs.map((x) => x.machineUsPerRequest));
  const bareMachineUs = median(r.bare.map((x) => x.machineUsPerRequest));
  const cores = (target * median(r.bare.map((b) => b.rate)) * us) / 1e6;
  return `server ${us.toFixed(0)} µs of CPU per request (bare ${bareUs.toFixed(0)} µs), the whole machine ${machineUs.toFixed(0)} µs ` +
    `(bare run ${bareMachineUs.toFixed(0)} µs); the machine's ${availableParallelism()} cores ` +
    `${(100 * median(r.runs.map((x) => x.machineBusy))).toFixed(0)}% busy (bare run ${(100 * median(r.bare.map((x) => x.machineBusy))).toFixed(0)}%); ` +
    `${target.toFixed(2)}x bare at this cost needs ${cores.toFixed(2)} cores for the server alone, besides wrk`;
}

/** Rounds of one measured run and its baseline, alternating; each round's ratio of the two rates. */
interface Rounds<T, B extends WrkResult = WrkResult> { runs: T[]; bare: B[]; ratios: number[] }

async function alternate<T extends { rate: number }, B extends WrkResult>(rounds: number, bare: () => Promise<B>, measured: () => Promise<T>): Promise<Rounds<T, B>> {
  const out: Rounds<T, B> = { runs: [], bare: [], ratios: [] };
  for (let i = 0; i < rounds; i++) {
    const b = await bare();
    const m = await measured();
    out.bare.push(b);
    out.runs.push(m);
    out.ratios.push(m.rate / b.rate);
  }
  return out;
}

/** "0.17x bare (rounds 0.15-0.18x; bare 19,100/s)": the median round's ratio first. */
function ratioText(r: Rounds<{ rate: number }>): string {
  const spread = r.ratios.length > 1 ? `${r.ratios.length} rounds ${Math.min(...r.ratios).toFixed(2)}-${Math.max(...r.ratios).toFixed(2)}x; ` : '';
  return `${median(r.ratios).toFixed(2)}x bare (${spread}bare ${median(r.bare.map((b) => b.rate)).toFixed(0)}/s)`;
}

// ---- the fleet ------------------------------------------------------------------------------------------------

const STATES: Array<[ClientState, number]> = [['up-to-date', 0.7], ['failed', 0.1], ['available', 0.08], ['downloading', 0.05], ['deferred', 0.04], ['staged', 0.03]];
const VERSIONS = ['3.59.127.0', '3.58.0.0', '1.2.2', '3.59.228.0', '2.0.0'];
const GROUPS = ['pilot', 'office', 'warehouse', 'default'];

function weighted<T>(rnd: () => number, xs: Array<[T, number]>): T {
  let r = rnd();
  for (const [x, w] of xs) { if ((r -= w) < 0) return x; }
  return xs[xs.length - 1][0];
}

function clientAt(i: number, rnd: () => number, now: string): Client {
  const state = weighted(rnd, STATES);
  // Same fields as the wrk script sends for client-i, so an "unchanged" check-in really changes nothing.
  return {
    id: `client-${i}`, name: `Name ${i % 9973}`, computer: `PC-${String(i).padStart(7, '0')}`,
    ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, user: `user${i % 50021}.name`,
    groupId: GROUPS[i % 4], version: VERSIONS[i % 5], state, targetVersion: state === 'up-to-date' ? null : '3.59.127.0',
    reason: state === 'failed' ? 'Checksum mismatch after download' : null, deferredUntil: null, lastSeen: now,
  };
}

/**
 * client-i's secret: what bench/wrk/checkin.lua sends (`ufc.<base64url(id)>.<secret>`), computable there without a
 * hash function. Only its sha256 is in the database, as for real clients.
 */
export const benchSecret = (i: number): string => `scalebenchsecret${String(i).padStart(27, '0')}`;

/** Demo releases and groups, then N clients written straight into the tables (the triggers count them). */
async function buildFleet(dataDir: string, n: number, postgresUrl?: string): Promise<void> {
  const server = await startServer({ dataDir, port: 0, demo: true, adminToken: ADMIN, enrollToken: ENROLL, postgresUrl });
  const store = server.fleet.store;
  // The demo's 300 clients go: the fleet is client-0 … client-(n-1).
  await store.db.deleteFrom('client_history').execute();
  await store.db.deleteFrom('clients').execute();
  const rnd = seededRandom(1_000_003);
  const now = new Date().toISOString();
  const t0 = Date.now();
  for (let i = 0; i < n; i += 20_000) {
    const batch: Client[] = [];
    for (let j = i; j < Math.min(n, i + 20_000); j++) batch.push(clientAt(j, rnd, now));
    await store.insertClients(batch);
    // Each with its credential, enrolled and admitted.
    for (let k = 0; k < batch.length; k += 2000) {
      await store.db.insertInto('client_credentials').values(batch.slice(k, k + 2000).map((c, m) => ({
        client_id: c.id, secret_hash: hashToken(benchSecret(i + k + m)), status: 'active', name: c.name, computer: c.computer, ip: c.ip,
        user_name: c.user, address: '127.0.0.1', enrolled_at: now, decided_at: null, decided_by: null,
      }))).execute();
    }
    if (i % 200_000 === 0) process.stdout.write(`  built ${i.toLocaleString()} of ${n.toLocaleString()} clients (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
  if (postgresUrl) await sql`VACUUM ANALYZE`.execute(store.db);
  await server.close();
}

async function pgDatabase(n: number, pgBase: string): Promise<{ url: string; exists: boolean }> {
  const name = `uf_bench_${n}`;
  const admin = new pg.Client({ connectionString: pgBase });
  await admin.connect();
  try {
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
    const url = new URL(pgBase);
    url.pathname = '/' + name;
    if (exists) {
      const c = new pg.Client({ connectionString: url.toString() });
      await c.connect();
      // A fleet built before client credentials (no table, or no rows) is built again.
      const ok = await c.query("SELECT (SELECT count(*) FROM clients)::int AS n, (SELECT count(*) FROM client_credentials)::int AS k").then((r) => r.rows[0].n >= n && r.rows[0].k >= n, () => false);
      await c.end();
      if (ok) return { url: url.toString(), exists: true };
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    }
    await admin.query(`CREATE DATABASE ${name}`);
    return { url: url.toString(), exists: false };
  } finally {
    await admin.end();
  }
}

/** A data folder holding the fleet, built once per size (and per database: SQLite, or PostgreSQL at pgBase). */
async function fleetDir(n: number, pgBase?: string): Promise<{ dataDir: string; postgresUrl?: string }> {
  const dataDir = join(CACHE, pgBase ? `pg-${n}` : `sqlite-${n}`);
  if (pgBase) {
    const db = await pgDatabase(n, pgBase);
    if (!db.exists) {
      rmSync(dataDir, { recursive: true, force: true });
      console.log(`Building a ${n.toLocaleString()}-client fleet in PostgreSQL (once; kept in database uf_bench_${n})…`);
      await buildFleet(dataDir, n, db.url);
    }
    return { dataDir, postgresUrl: db.url };
  }
  if (!existsSync(join(dataDir, 'built-with-credentials'))) {
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    console.log(`Building a ${n.toLocaleString()}-client fleet (once; kept in ${dataDir})…`);
    await buildFleet(dataDir, n);
    spawnSync('touch', [join(dataDir, 'built-with-credentials')]);
  }
  return { dataDir };
}

// ---- processes ------------------------------------------------------------------------------------------------

async function child(args: string[], env: Record<string, string> = {}): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const url = await new Promise<string>((resolvePromise, reject) => {
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolvePromise(m[1]);
    });
    proc.on('exit', (code) => reject(new Error(`${args[0]} exited (${code}); run npm run build first`)));
  });
  return { url, proc };
}

function fleetServer(dataDir: string, postgresUrl?: string) {
  return child(['dist/server.js', '--data', dataDir, '--port', '0', ...(postgresUrl ? ['--postgres', postgresUrl] : [])],
    { UPDATE_FLEET_ADMIN_TOKEN: ADMIN, UPDATE_FLEET_ENROLL_TOKEN: ENROLL });
}

/** The baseline: node:http reading the body and answering a fixed check-in answer. */
function bareServer() {
  const code = `
    const body = JSON.stringify({ action: 'none', reason: 'up-to-date', message: 'Already on 3.59.127.0.', checkIntervalSeconds: 3600 });
    const s = require('node:http').createServer((req, res) => {
      req.on('data', () => {});
      req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }); res.end(body); });
    });
    s.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + s.address().port));`;
  return child(['-e', code]);
}

/**
 * The framework's floor, for context: Fastify (as the server uses it) with the check-in route's body schema, answering
 * the same fixed answer: what any route of ours costs before it does anything.
 */
function fastifyServer() {
  const code = `
    const body = { action: 'none', reason: 'up-to-date', message: 'Already on 3.59.127.0.', checkIntervalSeconds: 3600 };
    const app = require('fastify')({ logger: false });
    app.post('/agent/v1/checkin', { schema: { body: ${JSON.stringify(CheckinBody)} } }, async () => body);
    app.listen({ port: 0, host: '127.0.0.1' }).then(() => console.log('listening on http://127.0.0.1:' + app.server.address().port));`;
  return child(['-e', code]);
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

function httpJson(url: string, method: string, body?: unknown): Promise<{ status: number; ms: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const t0 = process.hrtime.bigint();
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(url, { method, headers: { authorization: `Bearer ${ADMIN}`, ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - t0) / 1e6, body: text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** Streams the CSV report, counting rows; the server's RSS is sampled meanwhile. */
function exportCsv(url: string, pid: number): Promise<{ rows: number; bytes: number; seconds: number; peakRssMb: number }> {
  return new Promise((resolvePromise, reject) => {
    const t0 = process.hrtime.bigint();
    let peak = rssMb(pid);
    const timer = setInterval(() => { peak = Math.max(peak, rssMb(pid)); }, 50);
    request(`${url}/api/v1/reports/clients.csv`, { headers: { authorization: `Bearer ${ADMIN}` } }, (res) => {
      let rows = 0;
      let bytes = 0;
      res.on('data', (d: Buffer) => {
        bytes += d.length;
        for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) rows++;
      });
      res.on('end', () => {
        clearInterval(timer);
        resolvePromise({ rows: rows - 1, bytes, seconds: Number(process.hrtime.bigint() - t0) / 1e9, peakRssMb: Math.max(peak, rssMb(pid)) });
      });
    }).on('error', reject).end();
  });
}

// ---- the table ------------------------------------------------------------------------------------------------

interface Row { what: string; measured: string; target: string; ok: boolean; context?: boolean }
/** A figure PostgreSQL is compared on (--compare): which way is better decides what "within 2x" means. */
interface Figure { what: string; value: number; unit: string; better: 'lower' | 'higher'; target: number }
/** One database's rows and figures. */
interface Table { store: 'SQLite' | 'PostgreSQL'; rows: Row[]; figures: Figure[]; bareRate?: number }

let table: Table = { store: 'SQLite', rows: [], figures: [] };
function row(what: string, measured: string, target: string, ok: boolean): void {
  table.rows.push({ what, measured, target, ok });
  console.log(`${ok ? 'PASS' : 'MISS'}  ${what}: ${measured}  (target ${target})`);
}
const ms = (x: number) => `${x.toFixed(1)} ms`;
/** A line of context beside the targets (no target of its own). */
function note(what: string, measured: string): void {
  table.rows.push({ what, measured, target: '(context)', ok: true, context: true });
  console.log(`      ${what}: ${measured}`);
}
/** `target`: the row's own bound for this figure (a figure that meets it is fine whatever its factor). */
function figure(what: string, value: number, unit: string, better: Figure['better'], target: number): void {
  table.figures.push({ what, value, unit, better, target });
}
const want = (name: string) => !values.only || values.only.split(',').includes(name);

/** The million-client rows on one database (PostgreSQL when pgBase is given). */
async function millionClientRows(bare: { url: string; proc: ChildProcess }, pgBase?: string): Promise<void> {
  const store = pgBase ? 'PostgreSQL' : 'SQLite';
  const { dataDir, postgresUrl } = await fleetDir(N, pgBase);
  const server = await fleetServer(dataDir, postgresUrl);
  const pid = server.proc.pid!;
  console.log(`Fleet server on ${store} with ${N.toLocaleString()} clients; bare node:http baseline; wrk for both; ${SECONDS} s per run.`);
  try {
    const checkinEnv = { CLIENTS: String(N), TOKEN: 'client', CHANGE: '1' };
    if (want('checkin')) {
      await wrk(server.url, 'checkin.lua', { connections: 64, seconds: 2, env: checkinEnv }); // warm-up
      // The health probe runs beside the check-ins: its worst latency is the longest stall of the event loop.
      const r = await alternate(ROUNDS,
        () => costed(bare.proc.pid!, () => wrk(bare.url, 'checkin.lua', { connections: 64, seconds: SECONDS, env: checkinEnv })),
        async () => {
          let health: WrkResult | undefined;
          const run = await costed(pid, async () => {
            const [checkins, probe] = await Promise.all([
              wrk(server.url, 'checkin.lua', { connections: 64, seconds: SECONDS, env: checkinEnv }),
              wrk(server.url, 'get.lua', { connections: 1, seconds: SECONDS, env: { PATHS: '/api/v1/health' } }),
            ]);
            health = probe;
            return checkins;
          });
          return { ...run, health: health! };
        });
      const ratio = median(r.ratios);
      const errors = r.runs.reduce((n, x) => n + x.errors + x.non2xx, 0);
      const p99s = r.runs.map((x) => x.p99);
      row('check-in rate, 64 connections, clients changing version', `${median(r.runs.map((x) => x.rate)).toFixed(0)}/s = ${ratioText(r)}; errors ${errors}`, '>= 0.40x bare', ratio >= 0.4 && r.runs.every((x) => x.non2xx === 0));
      row('check-in p99, same load', `${ms(median(p99s))} (rounds ${p99s.map((x) => x.toFixed(0)).join(', ')} ms)`, '< 20 ms', median(p99s) < 20);
      // A stall is a worst case: the longest of all rounds.
      const healthMax = Math.max(...r.runs.map((x) => x.health.max));
      row('GET /api/v1/health while check-ins run (event-loop stall)', `p50 ${ms(median(r.runs.map((x) => x.health.p50)))}, max ${ms(healthMax)}`, 'max < 50 ms', healthMax < 50);
      // The health probe's requests are a few percent of the check-ins': its CPU is counted in the check-ins'.
      note('context: CPU per check-in', cpuContext(r, 0.4));
      table.bareRate = median(r.bare.map((b) => b.rate));
      figure('check-in rate', median(r.runs.map((x) => x.rate)), '/s', 'higher', 0.4 * table.bareRate);
      figure('check-in p99', median(p99s), 'ms', 'lower', 20);
      figure('health max beside check-ins', healthMax, 'ms', 'lower', 50);
    }
    if (want('summary')) {
      // A client changes, then the summary is read: nothing is cached, every answer is the counts as they are.
      await wrk(server.url, 'checkin.lua', { connections: 8, seconds: 1, env: checkinEnv });
      const s = await wrk(server.url, 'get.lua', { connections: 1, seconds: Math.min(SECONDS, 5), env: { TOKEN: ADMIN, PATHS: '/api/v1/summary' } });
      const after = await httpJson(`${server.url}/api/v1/summary`, 'GET');
      const total = (JSON.parse(after.body) as { overall: { total: number } }).overall.total;
      row('summary after clients changed', `p99 ${ms(s.p99)}, max ${ms(s.max)} (total ${total.toLocaleString()})`, '< 20 ms', s.max < 20 && total >= N);
      figure('summary max', s.max, 'ms', 'lower', 20);
    }
    if (want('search')) {
      // Selective and broad terms, 1–2 characters included, with and without filters.
      const terms = ['PC-0123456', 'user4242.', 'name', 'Name 77', '10.3.', 'PC', 'na', 'e', '0004567', 'zzz-none', 'q=9&', 'user1.name'];
      const paths = terms.map((t) => `/api/v1/clients?q=${encodeURIComponent(t)}&limit=50`).concat(['/api/v1/clients?state=failed&limit=50', '/api/v1/clients?q=name&group=office&limit=50']);
      const env = { TOKEN: ADMIN, PATHS: paths.join('|') };
      // A warm-up, as for the check-ins: run alone (--only search), the first seconds would wait for the not-seen
      // count the server takes at its start, and PostgreSQL's first searches for its sample of search texts.
      await wrk(server.url, 'get.lua', { connections: 1, seconds: 2, env });
      const s = await wrk(server.url, 'get.lua', { connections: 1, seconds: SECONDS, env });
      row(`keyword search, ${paths.length} queries (selective, broad, 1-2 characters)`, `p50 ${ms(s.p50)}, p95 ${ms(s.p95)}, max ${ms(s.max)}${s.non2xx ? `, ${s.non2xx} errors` : ''}`, 'p95 < 50 ms', s.p95 < 50 && s.non2xx === 0);
      figure('search p95', s.p95, 'ms', 'lower', 50);
    }
    if (want('preview')) {
      const policy = JSON.parse((await httpJson(`${server.url}/api/v1/groups/office/policy`, 'GET')).body) as Record<string, unknown>;
      const [p, health] = await Promise.all([
        httpJson(`${server.url}/api/v1/groups/office/policy/preview`, 'POST', { ...policy, mode: 'auto', rolloutPercent: 50 }),
        wrk(server.url, 'get.lua', { connections: 1, seconds: 4, env: { PATHS: '/api/v1/health' } }),
      ]);
      const total = (JSON.parse(p.body) as { total: number }).total;
      row(`policy preview of a ${total.toLocaleString()}-client group`, `${ms(p.ms)}; health max beside it ${ms(health.max)}`, '< 1 s, health max < 50 ms', p.status === 200 && p.ms < 1000 && health.max < 50);
      figure('preview', p.ms, 'ms', 'lower', 1000);
      figure('health max beside the preview', health.max, 'ms', 'lower', 50);
    }
    if (want('csv')) {
      const atRest = rssMb(pid);
      const [csv, checkins] = await Promise.all([
        exportCsv(server.url, pid),
        wrk(server.url, 'checkin.lua', { connections: 8, seconds: 3, env: checkinEnv }),
      ]);
      const perSecond = csv.rows / csv.seconds;
      row(`CSV export of all ${csv.rows.toLocaleString()} clients`, `${csv.seconds.toFixed(1)} s = ${(perSecond / 1000).toFixed(0)}k rows/s, server RSS peak ${csv.peakRssMb.toFixed(0)} MB, check-in p99 beside it ${ms(checkins.p99)}`,
        '>= 300k rows/s, RSS < 150 MB, check-in p99 < 50 ms', perSecond >= 300_000 && csv.peakRssMb < 150 && checkins.p99 < 50 && csv.rows >= N);
      note('context: the server\'s RSS just before the export', `${atRest.toFixed(0)} MB (${(csv.peakRssMb - atRest).toFixed(0)} MB more at the peak)`);
      figure('CSV rows/s', perSecond, '/s', 'higher', 300_000);
      figure('CSV server RSS peak', csv.peakRssMb, 'MB', 'lower', 150);
      figure('check-in p99 beside the CSV export', checkins.p99, 'ms', 'lower', 50);
    }
  } finally {
    server.proc.kill();
  }
}

/** The small fleet's row (SQLite): unchanged check-ins of 1,000 clients, with the Fastify route alone for context. */
async function smallFleetRow(bare: { url: string; proc: ChildProcess }): Promise<void> {
  const small = await fleetDir(1000);
  const s = await fleetServer(small.dataDir);
  try {
    const env = { CLIENTS: '1000', TOKEN: 'client', CHANGE: '0' };
    const fastify = await fastifyServer();
    try {
      await wrk(s.url, 'checkin.lua', { connections: 64, seconds: 2, env });
      await wrk(fastify.url, 'checkin.lua', { connections: 64, seconds: 2, env });
      // Each round: bare, the server, then the Fastify route alone (its ratio is to the same round's bare).
      const fastifyRuns: Array<Costed<WrkResult>> = [];
      const r = await alternate(ROUNDS,
        () => costed(bare.proc.pid!, () => wrk(bare.url, 'checkin.lua', { connections: 64, seconds: SECONDS, env })),
        async () => {
          const run = await costed(s.proc.pid!, () => wrk(s.url, 'checkin.lua', { connections: 64, seconds: SECONDS, env }));
          fastifyRuns.push(await costed(fastify.proc.pid!, () => wrk(fastify.url, 'checkin.lua', { connections: 64, seconds: SECONDS, env })));
          return run;
        });
      const ratio = median(r.ratios);
      const p99 = median(r.runs.map((x) => x.p99));
      row('small fleet (1k clients), unchanged check-ins', `${median(r.runs.map((x) => x.rate)).toFixed(0)}/s = ${ratioText(r)}, p99 ${ms(p99)}`, '>= 0.40x, p99 < 10 ms', ratio >= 0.4 && p99 < 10);
      const f = { runs: fastifyRuns, bare: r.bare, ratios: fastifyRuns.map((x, i) => x.rate / r.bare[i].rate) };
      note('context: a Fastify route alone, same body schema and answer', `${median(fastifyRuns.map((x) => x.rate)).toFixed(0)}/s = ${ratioText(f)}, p99 ${ms(median(fastifyRuns.map((x) => x.p99)))}`);
      note('context: the server against the Fastify route alone', `${median(r.runs.map((x, i) => x.rate / fastifyRuns[i].rate)).toFixed(2)}x`);
      note('context: CPU per check-in', cpuContext(r, 0.4));
      note('context: CPU per request of the Fastify route alone', `${median(fastifyRuns.map((x) => x.cpuUsPerRequest)).toFixed(0)} µs`);
    } finally {
      fastify.proc.kill();
    }
  } finally {
    s.proc.kill();
  }
}

function printTable(t: Table): void {
  console.log(`\n| what (${t.store}, ${N.toLocaleString()} clients) | measured | target | |\n| --- | --- | --- | --- |`);
  for (const r of t.rows) console.log(`| ${r.what} | ${r.measured} | ${r.target} | ${r.context ? '' : r.ok ? 'met' : 'missed'} |`);
}

/**
 * PostgreSQL's factor against SQLite on each figure both runs measured: how many times slower, larger or later it is
 * (a rate: SQLite's over PostgreSQL's), so "within 2x" reads the same way on every line.
 */
function printComparison(sqlite: Table, postgres: Table): void {
  const fmt = (f: Figure) => (f.unit === '/s' ? `${f.value.toFixed(0)}/s` : `${f.value.toFixed(1)} ${f.unit}`);
  console.log(`\n| figure (${N.toLocaleString()} clients, one run) | SQLite | PostgreSQL | PostgreSQL's factor | within 2x (or at its target) |\n| --- | --- | --- | --- | --- |`);
  for (const s of sqlite.figures) {
    const p = postgres.figures.find((x) => x.what === s.what);
    if (!p) continue;
    const factor = s.better === 'higher' ? s.value / Math.max(p.value, 1e-9) : p.value / Math.max(s.value, 1e-9);
    const atTarget = p.better === 'higher' ? p.value >= p.target : p.value < p.target;
    console.log(`| ${s.what} | ${fmt(s)} | ${fmt(p)} | ${factor.toFixed(2)}x | ${factor <= 2 ? 'yes' : atTarget ? 'yes, at its target' : 'no'} |`);
  }
  // The two halves run minutes apart on a machine whose speed drifts: the bare server's rate in each says how far.
  if (sqlite.bareRate && postgres.bareRate) {
    console.log(`\nThe bare server's check-in rate: ${sqlite.bareRate.toFixed(0)}/s in the SQLite half, ${postgres.bareRate.toFixed(0)}/s in the PostgreSQL half ` +
      `(the machine ${(sqlite.bareRate / postgres.bareRate).toFixed(2)}x as fast in the first).`);
  }
}

async function main(): Promise<void> {
  mkdirSync(CACHE, { recursive: true });
  const bare = await bareServer();
  const tables: Table[] = [];
  try {
    const million = ['checkin', 'summary', 'search', 'preview', 'csv'].some(want);
    // The million-client server only for its rows (`--only small` needs none of it).
    if (values.compare || !PG_BASE) {
      table = { store: 'SQLite', rows: [], figures: [] };
      tables.push(table);
      if (million) await millionClientRows(bare);
      if (want('small')) await smallFleetRow(bare);
    }
    if (PG_BASE) {
      table = { store: 'PostgreSQL', rows: [], figures: [] };
      tables.push(table);
      if (million) await millionClientRows(bare, PG_BASE);
    }
  } finally {
    bare.proc.kill();
  }
  for (const t of tables) printTable(t);
  if (tables.length === 2) printComparison(tables[0], tables[1]);
}

main().catch((err) => { console.error(err); process.exit(1); });
