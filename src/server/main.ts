// update-fleet-server: the fleet server's command line.
//   update-fleet-server [--data DIR] [--host 127.0.0.1] [--port 7780] [--demo] [--public-url URL] [--postgres URL] [limits…]
//   update-fleet-server token create --role viewer|operator|admin|agent --name NAME [--data DIR]
//   update-fleet-server key export [--format pem|base64] [--data DIR]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startServer, openStore, rotateEnrollmentToken } from './app';
import { ADMISSION_MODES, type AdmissionMode } from '../core/admission';
import { TokenService, type TokenRole } from './auth';
import { secureDataDir } from './dataDir';
import { DecisionSigner, loadOrCreateSigningKey } from './decisionSigner';
import { parseSize } from './limits';

const USAGE = `Usage:
  update-fleet-server [--data DIR] [--host 127.0.0.1] [--port 7780] [--demo] [--public-url URL] [--log] [--require-download]
                      [--not-seen-days N] [--package-key FILE] [--max-package-size SIZE] [--max-connections N] [--max-event-streams N]
                      [--max-event-streams-per-token N] [--headers-timeout S] [--request-timeout S] [--upload-idle-timeout S]
                      [--tls-cert FILE --tls-key FILE] [--decision-ttl S]
                      [--admission automatic|manual] [--trust-proxy true|N|ADDR[,ADDR…]]
  update-fleet-server token create --role viewer|operator|admin|agent --name NAME [--data DIR]
  update-fleet-server token rotate-enrollment [--data DIR]   # new enrollment token; enrolled clients keep theirs
  update-fleet-server key export [--format pem|base64] [--data DIR]

  --data DIR        where fleet.db, artifacts/ and the token files live (default .update-fleet/)
  --host HOST       address to listen on (default 127.0.0.1: loopback only)
  --port PORT       port (default 7780; 0 picks a free one)
  --demo            fill an empty database with the demo fleet
  --public-url URL  base URL agents download packages from (behind a proxy)
  --postgres URL    run on PostgreSQL (postgres://…) instead of the SQLite file in DIR
  --log             request log on stdout (never includes tokens; messages such as the first admin token go to stderr)
  --require-download  approve only releases someone downloaded for testing first
  --not-seen-days N   a client with no check-in for N days counts as not seen in the fleet's health (default 7)
  --package-key FILE  ed25519 public key (PEM): uploads must carry an X-Package-Signature that verifies
  --max-package-size SIZE  largest package upload, e.g. 500M or 2G (default 2G)
  --max-connections N      open connections at once (default 10000)
  --max-event-streams N    event streams at once (default 1000); --max-event-streams-per-token N (default 10)
  --headers-timeout S      seconds for a request's headers to arrive (default 10)
  --request-timeout S      seconds for an API request's body to arrive (default 30)
  --upload-idle-timeout S  longest pause, in seconds, inside a package upload (default 30)
  --tls-cert FILE, --tls-key FILE  serve HTTPS with this certificate (PEM, chain first) and its private key
  --decision-ttl S         seconds a signed check-in answer holds (default 86400)
  --admission MODE         automatic (default): enrolled clients are in at once; manual: held as Pending until accepted
  --trust-proxy VALUE      behind a reverse proxy: true, a hop count, or the proxies' addresses (the client's
                           connection address is then taken from X-Forwarded-For)

key export prints the public key agents verify check-in answers with (--server-key): PEM (default), or the raw
32-byte ed25519 key in base64. The key pair is made in DIR/decision-signing.key at the first start (or here).

Environment: UPDATE_FLEET_ADMIN_TOKEN and UPDATE_FLEET_ENROLL_TOKEN set the admin and enrollment tokens
instead of generating them (for automation).`;

function fail(message: string): never {
  process.stderr.write(`update-fleet-server: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function tokenCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: { role: { type: 'string' }, name: { type: 'string' }, data: { type: 'string' }, postgres: { type: 'string' } }, allowPositionals: true });
  if (positionals[0] === 'rotate-enrollment') {
    const dataDir = values.data ?? '.update-fleet';
    const store = await openStore(dataDir, values.postgres ?? process.env.UPDATE_FLEET_POSTGRES_URL);
    try {
      const secret = await rotateEnrollmentToken(store, dataDir);
      process.stdout.write(`${secret}\n`);
      process.stderr.write('Rotated the enrollment token (also in DIR/enroll.token). The old one no longer enrolls; enrolled clients keep their own credentials. A running server sees it within 10 seconds.\n');
    } finally {
      await store.close();
    }
    return;
  }
  if (positionals[0] !== 'create') fail('the token command knows "create" and "rotate-enrollment".');
  const role = values.role as TokenRole | undefined;
  if (!role || !['viewer', 'operator', 'admin', 'agent'].includes(role)) fail('--role must be viewer, operator, admin or agent.');
  const name = values.name?.trim();
  if (!name) fail('--name is required (it is what the audit log shows).');
  const store = await openStore(values.data ?? '.update-fleet', values.postgres ?? process.env.UPDATE_FLEET_POSTGRES_URL);
  try {
    const { secret } = await new TokenService(store).create(name, role);
    process.stdout.write(`${secret}\n`);
    process.stderr.write(`Created a ${role} token named "${name}". It is shown only this once.\n`);
  } finally {
    await store.close();
  }
}

async function keyCommand(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { format: { type: 'string' }, data: { type: 'string' } }, allowPositionals: true });
  } catch (err) {
    fail((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals[0] !== 'export' || positionals.length !== 1) fail('the key command knows "export".');
  const format = values.format ?? 'pem';
  if (format !== 'pem' && format !== 'base64') fail(`--format must be pem or base64, not "${format}".`);
  const dataDir = values.data ?? '.update-fleet';
  await secureDataDir(dataDir, { sqlite: false });
  const signer = new DecisionSigner(await loadOrCreateSigningKey(dataDir));
  process.stdout.write(signer.exportPublicKey(format));
  process.stderr.write(`Key id ${signer.keyId} (from ${dataDir}/decision-signing.key). Give it to agents with --server-key FILE.\n`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === 'token') return tokenCommand(argv.slice(1));
  if (argv[0] === 'key') return keyCommand(argv.slice(1));
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        data: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, demo: { type: 'boolean' },
        'public-url': { type: 'string' }, postgres: { type: 'string' }, log: { type: 'boolean' }, 'require-download': { type: 'boolean' }, 'not-seen-days': { type: 'string' }, help: { type: 'boolean', short: 'h' },
        'package-key': { type: 'string' }, 'max-package-size': { type: 'string' }, 'max-connections': { type: 'string' },
        'max-event-streams': { type: 'string' }, 'max-event-streams-per-token': { type: 'string' },
        'headers-timeout': { type: 'string' }, 'request-timeout': { type: 'string' }, 'upload-idle-timeout': { type: 'string' },
        'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, 'decision-ttl': { type: 'string' },
        admission: { type: 'string' }, 'trust-proxy': { type: 'string' },
      },
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const port = values.port === undefined ? 7780 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a number from 0 to 65535, not "${values.port}".`);
  const count = (flag: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    return Number.isInteger(n) && n > 0 ? n : fail(`--${flag} must be a whole number above 0, not "${text}".`);
  };
  const ms = (flag: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    return n > 0 && Number.isFinite(n) ? Math.round(n * 1000) : fail(`--${flag} must be a number of seconds above 0, not "${text}".`);
  };
  const sizeText = values['max-package-size'];
  const maxArtifactBytes = sizeText === undefined ? undefined : parseSize(sizeText) ?? fail(`--max-package-size must be a size such as 500M or 2G, not "${sizeText}".`);
  let packagePublicKey: string | undefined;
  if (values['package-key']) {
    try {
      packagePublicKey = readFileSync(values['package-key'], 'utf8');
    } catch (err) {
      fail(`--package-key: cannot read ${values['package-key']}: ${(err as Error).message}`);
    }
  }
  if (!values['tls-cert'] !== !values['tls-key']) fail('--tls-cert and --tls-key go together: the certificate and its private key.');
  let tls: { cert: Buffer; key: Buffer } | undefined;
  if (values['tls-cert'] && values['tls-key']) {
    const read = (flag: string, file: string): Buffer => {
      try {
        return readFileSync(file);
      } catch (err) {
        return fail(`--${flag}: cannot read ${file}: ${(err as Error).message}`);
      }
    };
    tls = { cert: read('tls-cert', values['tls-cert']), key: read('tls-key', values['tls-key']) };
  }
  const ttlText = values['decision-ttl'];
  const decisionTtlSeconds = ttlText === undefined ? undefined : count('decision-ttl', ttlText);
  const admission = values.admission as AdmissionMode | undefined;
  if (admission !== undefined && !ADMISSION_MODES.includes(admission)) fail(`--admission must be automatic or manual, not "${values.admission}".`);
  const proxyText = values['trust-proxy'];
  const trustProxy = proxyText === undefined ? undefined
    : proxyText === 'true' ? true
      : /^\d+$/.test(proxyText) ? Number(proxyText)
        : proxyText.split(',').map((a) => a.trim()).filter(Boolean);
  if (Array.isArray(trustProxy) && trustProxy.length === 0) fail('--trust-proxy needs true, a hop count or the proxies\' addresses.');
  const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  const server = await startServer({
    dataDir: values.data,
    host: values.host,
    port,
    demo: values.demo,
    publicUrl: values['public-url'],
    postgresUrl: values.postgres ?? process.env.UPDATE_FLEET_POSTGRES_URL,
    adminToken: process.env.UPDATE_FLEET_ADMIN_TOKEN || undefined,
    enrollToken: process.env.UPDATE_FLEET_ENROLL_TOKEN || undefined,
    maxArtifactBytes,
    packagePublicKey,
    requireDownloadBeforeApproval: values['require-download'],
    tls,
    decisionTtlSeconds,
    admission,
    trustProxy,
    notSeenDays: count('not-seen-days', values['not-seen-days']),
    limits: defined({
      maxConnections: count('max-connections', values['max-connections']),
      headersTimeoutMs: ms('headers-timeout', values['headers-timeout']),
      requestTimeoutMs: ms('request-timeout', values['request-timeout']),
      uploadIdleTimeoutMs: ms('upload-idle-timeout', values['upload-idle-timeout']),
    }),
    streams: defined({
      maxSubscribers: count('max-event-streams', values['max-event-streams']),
      maxSubscribersPerToken: count('max-event-streams-per-token', values['max-event-streams-per-token']),
    }),
    logger: values.log,
    // Never on stdout: that is the request log's stream (--log), and the first admin token is printed here.
    print: (line) => process.stderr.write(line + '\n'),
  });
  process.stdout.write(`Update Fleet server listening on ${server.url} (data in ${server.dataDir}; API document at ${server.url}/api/v1/openapi.json)\n`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  const e = err as NodeJS.ErrnoException;
  const message = e.code === 'EADDRINUSE' ? `the port is already in use (${e.message}); pick another with --port.` : e.message ?? String(err);
  process.stderr.write(`update-fleet-server: ${message}\n`);
  process.exit(1);
});
