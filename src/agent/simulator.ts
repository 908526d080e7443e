// The fleet simulator: N virtual clients in one process, with no file I/O, talking to a real server through the
// same agent API a real agent uses. Each client checks in with jitter, follows the decision like a person would
// (most accept an offer, some defer or decline), walks through downloading → staged → up-to-date, and fails now
// and then with the reasons real machines give. Ids derive from the prefix and index, so reruns reuse the clients.
// One keep-alive http.Agent and a bounded number of requests in flight keep thousands of clients on one core.
import { seededRandom } from '../core/prng';
import axios, { type AxiosInstance } from 'axios';
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { encodeClientToken, isFinalRefusal } from '../core/admission';
import type { ClientState } from '../core/types';
import { AGENT_PREFIX, type CheckinRequest, type CheckinResponse, type ReportRequest } from '../core/wire';
import { USER_AGENT } from './http';

export interface SimulatorOptions {
  server: string;
  token: string;
  count: number;
  /** Share of installs that fail, 0..1 (default 0.05). */
  failureRate?: number;
  /** Stop after this many seconds; without it, run until stop(). */
  durationSeconds?: number;
  /** Client ids, names and the random sequence derive from it (default "sim"). */
  prefix?: string;
  /** Multiplies the server's check interval and the simulated download/install times (default 1). */
  intervalScale?: number;
  /** Requests in flight at most (default 64). */
  concurrency?: number;
  /** First check-ins spread over this many seconds (default: count / 200, at most 30). */
  rampSeconds?: number;
  /** Versions the clients start on, spread by index (default ["1.0.0"]). */
  startVersions?: string[];
  /** Shortest pause between two actions of one client in seconds (default 0.2): protects the server at tiny scales. */
  minDelaySeconds?: number;
  log?: (message: string) => void;
}

export interface SimulatorStats {
  clients: number;
  checkins: number;
  reports: number;
  /** Reports of state "failed" the server accepted. */
  failures: number;
  /** Requests that failed (network, non-2xx). */
  errors: number;
}

export interface Simulator {
  stop(): Promise<void>;
  stats(): SimulatorStats;
  /** Resolves when the simulator has stopped (duration over, or stop()). */
  done: Promise<void>;
}

// ---- realistic, stable identities ---------------------------------------------------------------------

const SITES = ['WH', 'HQ', 'BR', 'LAB', 'OPS', 'FIN', 'SAL', 'SUP'];
const KINDS = ['PC', 'PC', 'PC', 'NB'];
const INITIALS = 'abcdefghijklmnoprstw'.split('');
const SURNAMES = [
  'meyer', 'schmidt', 'mueller', 'fischer', 'weber', 'wagner', 'becker', 'schulz', 'hoffmann', 'koch', 'richter',
  'klein', 'wolf', 'schroeder', 'neumann', 'schwarz', 'braun', 'zimmermann', 'hartmann', 'krueger', 'lange',
  'werner', 'smith', 'johnson', 'garcia', 'nguyen', 'rossi', 'dubois', 'kowalski', 'jansen', 'silva', 'tanaka',
  'novak', 'andersson', 'oconnor', 'haddad',
];

function digest(text: string): Buffer {
  return createHash('sha1').update(text).digest();
}

/** A UUID-shaped id (version 5 layout) from the prefix and index: the same client on every run. */
export function simulatedClientId(prefix: string, index: number): string {
  const b = digest(`update-fleet-simulator:${prefix}:${index}`);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export interface SimulatedIdentity {
  clientId: string;
  name: string;
  computer: string;
  ip: string;
  user: string;
}

export function simulatedIdentity(prefix: string, index: number): SimulatedIdentity {
  const h = digest(`${prefix}:${index}:who`);
  const n = index + 1;
  const computer = `${SITES[h[0] % SITES.length]}-${KINDS[h[1] % KINDS.length]}-${String(n).padStart(4, '0')}`;
  const user = `${INITIALS[h[2] % INITIALS.length]}.${SURNAMES[h.readUInt16BE(3) % SURNAMES.length]}`;
  const ip = `10.${Math.floor(index / 64_516) % 256}.${Math.floor(index / 254) % 254}.${(index % 254) + 1}`;
  return { clientId: simulatedClientId(prefix, index), name: computer, computer, ip, user };
}

/**
 * A simulated client's secret, derived from the prefix and index like its id, so a rerun is the same client and
 * its enrollment is answered again instead of refused. Not secret from anyone who knows the prefix: simulated
 * clients are for demos and load tests.
 */
export function simulatedClientSecret(prefix: string, index: number): string {
  return createHash('sha256').update(`update-fleet-simulator-secret:${prefix}:${index}`).digest('base64url');
}

/** How likely a client that failed at a version fails again at the next attempt (disk still full). */
const STICKY_FAILURE = 0.7;

const APP_FILES = ['client.exe', 'core.dll', 'updater.dll', 'resources\\de-DE.pak', 'plugins\\cti.dll'];

/** The reasons real installs fail with, with numbers that look like a real machine's. */
export function failureReason(rand: () => number, targetVersion: string): string {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
  const r = rand();
  if (r < 0.25) return `Checksum mismatch: expected sha256 ${hex(64)}, got ${hex(64)}`;
  if (r < 0.5) {
    const need = 80 + Math.floor(rand() * 120);
    return `Disk full: ${need} MB needed, ${Math.floor(rand() * need * 0.6)} MB free on C:`;
  }
  if (r < 0.72) return `Permission denied writing C:\\Program Files\\Fleet Client\\${APP_FILES[Math.floor(rand() * APP_FILES.length)]}`;
  if (r < 0.82) return `Download failed: HTTP 503 Service Unavailable for the ${targetVersion} package`;
  if (r < 0.9) return 'Signature invalid: the package is not signed by the configured publisher key';
  if (r < 0.96) return 'Extraction failed: unexpected end of archive (the package is truncated)';
  return `C:\\Program Files\\Fleet Client is in use (a running program holds it open) while swapping in ${targetVersion}`;
}

// ---- the simulator ------------------------------------------------------------------------------------

interface VirtualClient {
  index: number;
  id: SimulatedIdentity;
  /** Its bearer header once enrolled (the enrollment is one request, at its first check-in). */
  auth?: { Authorization: string };
  version: string;
  deferredUntil?: string;
  manualReported?: string;
  /** The last install failed: a machine with a full disk keeps failing, and says so at check-in. */
  failing?: { target: string; reason: string };
}

export function runSimulator(o: SimulatorOptions): Simulator {
  const prefix = o.prefix ?? 'sim';
  const scale = o.intervalScale ?? 1;
  const failureRate = Math.min(1, Math.max(0, o.failureRate ?? 0.05));
  const concurrency = Math.max(1, o.concurrency ?? 64);
  const minDelay = o.minDelaySeconds ?? 0.2;
  const ramp = o.rampSeconds ?? Math.min(30, o.count / 200);
  const versions = o.startVersions && o.startVersions.length > 0 ? o.startVersions : ['1.0.0'];
  const log = o.log ?? (() => undefined);
  const rand = seededRandom(digest(prefix).readUInt32BE(0));
  const counters: SimulatorStats = { clients: o.count, checkins: 0, reports: 0, failures: 0, errors: 0 };

  const agentOpts = { keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency };
  const httpAgent = new http.Agent(agentOpts);
  const httpsAgent = new https.Agent(agentOpts);
  const api: AxiosInstance = axios.create({
    baseURL: o.server.replace(/\/+$/, ''),
    httpAgent,
    httpsAgent,
    timeout: 15_000,
    validateStatus: () => true,
    headers: { Authorization: `Bearer ${o.token}`, 'User-Agent': `${USER_AGENT} (simulator)` },
  });

  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const queue: (() => Promise<void>)[] = [];
  let inFlight = 0;
  let idle: (() => void) | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let lastError = '';

  const pump = () => {
    while (!stopped && inFlight < concurrency && queue.length > 0) {
      const task = queue.shift()!;
      inFlight++;
      task()
        .catch((e: unknown) => {
          counters.errors++;
          const msg = (e as { code?: string }).code ?? (e as Error).message;
          if (msg !== lastError) log(`simulator: request failed: ${msg}`);
          lastError = msg;
        })
        .finally(() => {
          inFlight--;
          if (inFlight === 0 && idle) idle();
          pump();
        });
    }
  };
  /** Run `task` after `seconds` (with ±10% jitter), through the concurrency limit. */
  const after = (seconds: number, task: () => Promise<void>) => {
    if (stopped) return;
    const ms = Math.max(minDelay, seconds) * (0.9 + rand() * 0.2) * 1000;
    const t = setTimeout(() => {
      timers.delete(t);
      if (stopped) return;
      queue.push(task);
      pump();
    }, ms);
    timers.add(t);
  };

  const report = async (c: VirtualClient, r: Omit<ReportRequest, 'clientId'>): Promise<boolean> => {
    const res = await api.post(`${AGENT_PREFIX}/report`, { clientId: c.id.clientId, ...r } satisfies ReportRequest, { headers: c.auth });
    if (res.status >= 200 && res.status < 300) {
      counters.reports++;
      if (r.state === 'failed') counters.failures++;
      return true;
    }
    counters.errors++;
    log(`simulator: report ${r.state} of ${c.id.computer} refused: HTTP ${res.status} ${JSON.stringify(res.data).slice(0, 200)}`);
    return false;
  };

  const nextCheck = (c: VirtualClient, d?: CheckinResponse) => {
    after((d?.nextCheckSeconds ?? 3600) * scale, () => checkin(c));
  };
  /** A simulated download or install step takes 2-12 s of "real" time, scaled. */
  const stepTime = () => (2 + rand() * 10) * scale;

  const install = (c: VirtualClient, d: CheckinResponse) => {
    const target = d.version!;
    const from = c.version;
    const base = { version: from, targetVersion: target };
    after(0, async () => {
      await report(c, { ...base, state: 'downloading', progress: 0 });
      after(stepTime(), async () => {
        await report(c, { ...base, state: 'downloading', progress: 50 });
        after(stepTime(), async () => {
          // A machine that failed at this version most likely fails again, for the same reason.
          const again = c.failing?.target === target && rand() < STICKY_FAILURE;
          if (again || rand() < failureRate) {
            const reason = again ? c.failing!.reason : failureReason(rand, target);
            c.failing = { target, reason };
            await report(c, { ...base, state: 'failed', reason });
            nextCheck(c, d);
            return;
          }
          c.failing = undefined;
          await report(c, { ...base, state: 'staged', progress: 100 });
          after(stepTime(), async () => {
            c.version = target;
            await report(c, { state: 'up-to-date', version: target, targetVersion: target, reason: `Updated from ${from} to ${target}` });
            nextCheck(c, d);
          });
        });
      });
    });
  };

  /** Not let in: a pending client asks again later; a decommissioned or rejected one stops, as a real agent does. */
  const refused = (c: VirtualClient, data: unknown): void => {
    counters.errors++;
    const code = (data as { error?: { code?: string } } | undefined)?.error?.code;
    if (code !== lastError) log(`simulator: ${c.id.computer} not let in: ${code ?? JSON.stringify(data).slice(0, 200)}`);
    lastError = code ?? '';
    if (isFinalRefusal(code)) {
      log(`simulator: ${c.id.computer} (${c.id.clientId}) is ${code}; it stops checking in`);
      return;
    }
    after(60 * scale, () => checkin(c));
  };

  const checkin = async (c: VirtualClient): Promise<void> => {
    const deferred = c.deferredUntil && Date.parse(c.deferredUntil) > Date.now() ? c.deferredUntil : undefined;
    if (!deferred) c.deferredUntil = undefined;
    const body: CheckinRequest = { ...c.id, version: c.version };
    if (deferred) {
      body.state = 'deferred' as ClientState;
      body.deferredUntil = deferred;
    } else if (c.failing) {
      body.state = 'failed';
    }
    let res;
    try {
      if (!c.auth) {
        // Enrolled with the enrollment token (the api's default header); the same secret on every run.
        const secret = simulatedClientSecret(prefix, c.index);
        const e = await api.post(`${AGENT_PREFIX}/enroll`, { clientId: c.id.clientId, secret, name: c.id.name, computer: c.id.computer, ip: c.id.ip, user: c.id.user });
        if (e.status !== 200 && e.status !== 201) return refused(c, e.data);
        c.auth = { Authorization: `Bearer ${encodeClientToken(c.id.clientId, secret)}` };
      }
      res = await api.post<CheckinResponse>(`${AGENT_PREFIX}/checkin`, body, { headers: c.auth });
    } catch (e) {
      after(60 * scale, () => checkin(c)); // server unreachable: try again a minute (scaled) later
      throw e;
    }
    if (res.status === 401) c.auth = undefined; // the server does not know it (a new database): enroll again
    if (res.status !== 200 || !res.data || typeof res.data.action !== 'string') return refused(c, res.data);
    counters.checkins++;
    const d = res.data;
    switch (d.action) {
      case 'force':
      case 'downgrade':
        if (d.version && d.version !== c.version) return install(c, d);
        return nextCheck(c, d);
      case 'offer': {
        if (!d.version || d.version === c.version) return nextCheck(c, d);
        const r = rand();
        if (r >= 0.75) c.failing = undefined; // deferring or declining is the client's state now
        if (r < 0.75) return install(c, d); // most people click "Install now"
        if (r < 0.9) {
          const days = d.remindOptionsDays && d.remindOptionsDays.length > 0 ? d.remindOptionsDays[Math.floor(rand() * d.remindOptionsDays.length)] : 1;
          c.deferredUntil = new Date(Date.now() + days * 86_400_000).toISOString();
          await report(c, { state: 'deferred', version: c.version, targetVersion: d.version, deferredUntil: c.deferredUntil, reason: `The user asked to be reminded in ${days} day${days === 1 ? '' : 's'}` });
          return nextCheck(c, d);
        }
        await report(c, { state: 'declined', version: c.version, targetVersion: d.version, reason: `The user declined the optional update to ${d.version}` });
        return nextCheck(c, d);
      }
      case 'manual':
        if (c.manualReported !== d.version) {
          c.manualReported = d.version;
          await report(c, { state: 'manual-required', version: c.version, targetVersion: d.version ?? null, reason: d.message });
        }
        return nextCheck(c, d);
      default:
        return nextCheck(c, d);
    }
  };

  const clients: VirtualClient[] = [];
  for (let i = 0; i < o.count; i++) {
    const id = simulatedIdentity(prefix, i);
    const version = versions[digest(`${prefix}:${i}:version`)[0] % versions.length];
    const c: VirtualClient = { index: i, id, version };
    clients.push(c);
    // Spread the first check-ins over the ramp (a fleet does not start in the same millisecond).
    const t = setTimeout(() => {
      timers.delete(t);
      if (stopped) return;
      queue.push(() => checkin(c));
      pump();
    }, rand() * ramp * 1000);
    timers.add(t);
  }
  log(`simulator: ${o.count} clients (${prefix}) against ${o.server}, failure rate ${Math.round(failureRate * 1000) / 10}%, interval scale ${scale}`);

  let durationTimer: NodeJS.Timeout | undefined;
  const stop = async (): Promise<void> => {
    if (!stopped) {
      stopped = true;
      if (durationTimer) clearTimeout(durationTimer);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      queue.length = 0;
      if (inFlight > 0) await new Promise<void>((r) => (idle = r));
      httpAgent.destroy();
      httpsAgent.destroy();
      resolveDone();
    }
    await done;
  };
  if (o.durationSeconds !== undefined) durationTimer = setTimeout(() => void stop(), o.durationSeconds * 1000);

  return { stop, stats: () => ({ ...counters }), done };
}
