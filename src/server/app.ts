// Builds and starts the fleet server: store, tokens, use cases, routes. `startServer` is what the CLI, the demo
// launcher and the tests call, so all three run the very same server.
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { MAX_TRANSITIONS } from '../core/lifecycle';
import { ArtifactStore } from './artifacts';
import { TokenService, checkTokensFirst } from './auth';
import { secureDataDir } from './dataDir';
import { DecisionSigner, loadOrCreateSigningKey } from './decisionSigner';
import { clientErrorHandler, frameworkErrors, installErrorHandler } from './errors';
import { DEFAULT_LIMITS, installBodyDeadlines, serverFactory, type Limits } from './limits';
import { Uploads, loadPublicKey } from './uploads';
import { installValidators } from './validation';
import { EventHub, type StreamLimits } from './events';
import { Fleet } from './fleet';
import { HeavyReads } from './heavy/heavyReads';
import { seedDemoFleet } from './demo';
import { agentRoutes } from './routes/agent';
import { enrollmentRoutes } from './routes/enrollments';
import { ClientIdentities } from './clientIdentities';
import type { AdmissionMode } from '../core/admission';
import { clientRoutes } from './routes/clients';
import { groupRoutes } from './routes/groups';
import { miscRoutes } from './routes/misc';
import { releaseRoutes } from './routes/releases';
import { reportRoutes } from './routes/reports';
import { pgEventBus } from './store/pgEventBus';
import { FleetStore } from './store/store';
import type { TokenRecord } from './store/tokens';

export const SERVER_VERSION = '0.1.0';

export interface ServerOptions {
  /** Holds fleet.db, artifacts/ and the token files. Default .update-fleet/ */
  dataDir?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Fill an empty database with the demo fleet. */
  demo?: boolean;
  /** Use this admin / enrollment token instead of generating one (UPDATE_FLEET_ADMIN_TOKEN / _ENROLL_TOKEN). */
  adminToken?: string;
  enrollToken?: string;
  /** postgres://… to run on PostgreSQL instead of the embedded SQLite file. */
  postgresUrl?: string;
  /** Base URL agents download packages from (behind a proxy or CDN). */
  publicUrl?: string;
  /** Largest package upload, bytes (default 2 GiB). */
  maxArtifactBytes?: number;
  /** ed25519 public key (PEM): uploads must carry an X-Package-Signature that verifies against it. */
  packagePublicKey?: string;
  /** Timeouts and the connection cap (see limits.ts for the defaults). */
  limits?: Partial<Limits>;
  /** Event stream caps: in total, per token, and the unsent bytes after which a subscriber that stopped reading is dropped. */
  streams?: Partial<StreamLimits>;
  logger?: boolean;
  /** Where first-start messages go (the admin token is printed once). */
  print?: (line: string) => void;
  /** Event coalescing interval (ms). */
  eventFlushMs?: number;
  /** The event stream sends a fleet summary at most this often (ms). */
  summaryEveryMs?: number;
  /** Refuse to approve a release nobody has downloaded for testing (GET …/artifact). */
  requireDownloadBeforeApproval?: boolean;
  /** How long a signed check-in answer holds (default 24 h). */
  decisionTtlSeconds?: number;
  /** Serve HTTPS with this certificate (chain) and key, PEM. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** The server's clock (tests move it: rings wait for hours). */
  now?: () => Date;
  /** `manual` holds newly enrolled clients as pending until an administrator accepts them (default `automatic`). */
  admission?: AdmissionMode;
  /**
   * Behind a reverse proxy: Fastify's trustProxy (true, a hop count, or the proxies' addresses / CIDRs), so the
   * connection address recorded for a client is the one the proxy saw (X-Forwarded-For), not the proxy's.
   */
  trustProxy?: boolean | number | string | string[];
  /** SQLite: a policy preview of a large group reads the table in two halves on two threads above this many rows. */
  previewSplitAbove?: number;
  /** A client with no check-in for this many days counts as not seen in the fleet's health (default 7). */
  notSeenDays?: number;
  /** How often the not-seen clients are counted again, ms (default 5 minutes; tests make it short). */
  notSeenRefreshMs?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  app: FastifyInstance;
  fleet: Fleet;
  events: EventHub;
  /** Signs check-in decisions; its public key is what agents verify with. */
  signer: DecisionSigner;
  /** Set when this start created or was given the token; read DIR/admin.token otherwise. */
  adminToken?: string;
  enrollToken?: string;
  dataDir: string;
  close(): Promise<void>;
}

async function writeSecretFile(file: string, secret: string): Promise<void> {
  await writeFile(file, secret + '\n', { mode: 0o600 });
  await chmod(file, 0o600);
}

async function readSecretFile(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * One bootstrap token (admin or enrollment): the environment's secret wins (automation); otherwise the first start
 * makes one and keeps it in a 0600 file; later starts read the file.
 */
async function bootstrapToken(tokens: TokenService, existing: TokenRecord[], kind: { name: string; role: 'admin' | 'agent'; file: string; fromEnv?: string; announce: (secret: string) => string }, print?: (line: string) => void): Promise<string | undefined> {
  const onFile = await readSecretFile(kind.file);
  if (kind.fromEnv) {
    await tokens.ensure(kind.name, kind.role, kind.fromEnv);
    // The environment's token replaced a generated one: a stale file would only mislead.
    if (onFile !== undefined && onFile !== kind.fromEnv) await rm(kind.file, { force: true });
    return kind.fromEnv;
  }
  if (existing.some((t) => t.role === kind.role)) return onFile;
  const { secret } = await tokens.create(kind.name, kind.role);
  await writeSecretFile(kind.file, secret);
  print?.(kind.announce(secret));
  return secret;
}

async function bootstrapTokens(tokens: TokenService, store: FleetStore, dataDir: string, opts: ServerOptions): Promise<{ admin?: string; enroll?: string }> {
  const existing = await store.tokens.list();
  const adminFile = join(dataDir, 'admin.token');
  const enrollFile = join(dataDir, 'enroll.token');
  return {
    admin: await bootstrapToken(tokens, existing, {
      name: 'admin', role: 'admin', file: adminFile, fromEnv: opts.adminToken,
      announce: (secret) => `Created the admin token (shown once; also in ${adminFile}): ${secret}`,
    }, opts.print),
    enroll: await bootstrapToken(tokens, existing, {
      name: 'enrollment', role: 'agent', file: enrollFile, fromEnv: opts.enrollToken,
      announce: () => `Created the agent enrollment token in ${enrollFile}.`,
    }, opts.print),
  };
}

/** `token rotate-enrollment`: a new enrollment token, kept in DIR/enroll.token like the first one. */
export async function rotateEnrollmentToken(store: FleetStore, dataDir: string): Promise<string> {
  const { secret, record } = await new TokenService(store).rotateEnrollment();
  await writeSecretFile(join(resolve(dataDir), 'enroll.token'), secret);
  await store.audit.add({ at: new Date().toISOString(), actor: 'command line', action: 'token.rotate-enrollment', target: record.name, details: JSON.stringify({ tokenId: record.id }) });
  return secret;
}

const hopsOf = (n: number) => (_address: string, hop: number): boolean => hop < n;

export async function openStore(dataDir: string, postgresUrl?: string, writerThread = false): Promise<FleetStore> {
  await secureDataDir(dataDir, { sqlite: !postgresUrl });
  return FleetStore.open(postgresUrl ? { postgresUrl } : { sqliteFile: join(dataDir, 'fleet.db'), writerThread });
}

export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  const dataDir = resolve(opts.dataDir ?? '.update-fleet');
  // A bad key is a start-up error, not a surprise at the first upload.
  const publicKey = opts.packagePublicKey ? loadPublicKey(opts.packagePublicKey) : undefined;
  const limits: Limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const store = await openStore(dataDir, opts.postgresUrl, true);
  const artifacts = new ArtifactStore(join(dataDir, 'artifacts'), opts.maxArtifactBytes ?? 2 * 1024 ** 3);
  await artifacts.init();
  const fleetRef: { current?: Fleet } = {};
  const events = new EventHub(async () => fleetRef.current!.summaryHealth(), {
    flushMs: opts.eventFlushMs ?? 500,
    summaryEveryMs: opts.summaryEveryMs ?? 3_000,
    limits: opts.streams,
    onRemoteChange: (what) => (what === 'config' ? fleetRef.current?.invalidate() : fleetRef.current?.clientsChangedElsewhere()),
  });
  const heavy = new HeavyReads(opts.postgresUrl ? { postgresUrl: opts.postgresUrl } : { sqliteFile: join(dataDir, 'fleet.db'), checkpointEveryMs: 250, restartGate: store.restartGate, previewSplitAbove: opts.previewSplitAbove });
  heavy.startNow();
  const fleet = new Fleet(store, events, artifacts, heavy, !!opts.requireDownloadBeforeApproval, opts.now, { notSeenDays: opts.notSeenDays, notSeenRefreshMs: opts.notSeenRefreshMs });
  fleetRef.current = fleet;
  // Several server processes on one PostgreSQL database tell each other what changed.
  if (opts.postgresUrl) events.attachBus(await pgEventBus(opts.postgresUrl, (m) => events.receive(m)));
  await fleet.ensureDefaultGroup();
  const releases = await fleet.allReleases();
  await artifacts.prune(new Set(releases.flatMap((r) => (r.artifact.sha256 ? [r.artifact.sha256] : []))));
  // Lists grown before transitions were bounded are cut once, here, not on every check-in that reads them.
  const overgrown = releases.filter((r) => r.transitions.length > MAX_TRANSITIONS);
  for (const r of overgrown) await store.releases.update({ ...r, transitions: r.transitions.slice(-MAX_TRANSITIONS) });
  if (overgrown.length > 0) fleet.invalidate();
  const signer = new DecisionSigner(await loadOrCreateSigningKey(dataDir), opts.decisionTtlSeconds);
  const tokens = new TokenService(store);
  const secrets = await bootstrapTokens(tokens, store, dataDir, opts);
  if (opts.demo) {
    const seeded = await seedDemoFleet(fleet);
    if (seeded) opts.print?.(`Filled the empty database with the demo fleet (${seeded.clients} clients).`);
  }
  // The first count of clients not seen, on the worker; it repeats by itself.
  void fleet.counts.notSeen.refresh().catch(() => { /* the next round */ });

  const app = Fastify({
    // A hop count trusts that many proxies nearest to the server (Fastify types it as a function).
    ...(opts.trustProxy !== undefined ? { trustProxy: typeof opts.trustProxy === 'number' ? hopsOf(opts.trustProxy) : opts.trustProxy } : {}),
    // Request logs never carry headers (the bearer token); Fastify's default serializers leave them out.
    logger: opts.logger ? { level: 'info' } : false,
    bodyLimit: 1024 * 1024,
    forceCloseConnections: true,
    serverFactory: serverFactory(limits, opts.tls),
    clientErrorHandler,
    frameworkErrors,
  });
  installErrorHandler(app);
  installBodyDeadlines(app, limits);
  checkTokensFirst(app);
  installValidators(app);
  await app.register(swagger, {
    openapi: {
      info: { title: 'Update Fleet API', version: SERVER_VERSION, description: 'Admin API (/api/v1, bearer token with a role) and agent API (/agent/v1, enrollment token).' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  const uploads = new Uploads(fleet, artifacts, publicKey);
  const identities = new ClientIdentities(fleet, opts.admission ?? 'automatic');
  const enrollFile = join(dataDir, 'enroll.token');
  const ctx = {
    fleet, tokens, identities, events, uploads, publicUrl: opts.publicUrl, version: SERVER_VERSION, signer,
    saveEnrollToken: (secret: string) => writeSecretFile(enrollFile, secret),
  };
  miscRoutes(app, ctx);
  releaseRoutes(app, ctx);
  groupRoutes(app, ctx);
  clientRoutes(app, ctx);
  reportRoutes(app, ctx);
  agentRoutes(app, ctx);
  enrollmentRoutes(app, ctx);

  fleet.rollouts.start();
  const host = opts.host ?? '127.0.0.1';
  // Node's default accept queue (511) resets connections when a fleet checks in all at once.
  await app.listen({ host, port: opts.port ?? 7780, backlog: 4096 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 7780);
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  let closed = false;
  return {
    url: `${opts.tls ? 'https' : 'http'}://${urlHost}:${port}`,
    port,
    app,
    fleet,
    events,
    signer,
    adminToken: secrets.admin,
    enrollToken: secrets.enroll,
    dataDir,
    async close() {
      if (closed) return;
      closed = true;
      fleet.rollouts.stop();
      fleet.counts.notSeen.stop();
      await events.close();
      await app.close();
      await heavy.close();
      await store.close();
    },
  };
}
