// Configuration: a JSON file (--config FILE, default <state-dir>/agent.json) with command-line flags on top.
// The enrollment token is read here and never printed (status shows only whether one is set).
import type { KeyObject } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { transportFor } from '../core/transport';
import { parseServerKeys } from './decisionKeys';
import { UsageError } from './errors';
import { readJsonFile } from './files';
import { defaultServiceSocket, defaultStateDir } from './platform';
import { parseAnswer, type Answer } from './prompter';

export const COMMANDS = ['launch', 'service', 'install-service', 'run', 'check', 'apply', 'rollback', 'status', 'simulate', 'help'] as const;
export type CommandName = (typeof COMMANDS)[number];
export type Protocol = 'json' | 'ini';
/**
 * launcher (default): check/run only stage; the swap happens when the program is not running: `launch` swaps at the
 * program's exit (seed 002: at shutdown), `apply` on demand. agent: check/run swap right away (only where the program
 * is known not to run). service: only a separately started, privileged `apply` swaps.
 */
export type ApplyBy = 'launcher' | 'agent' | 'service';
export const APPLY_BY: readonly ApplyBy[] = ['launcher', 'agent', 'service'];

export interface AgentConfig {
  server?: string;
  /** The enrollment token. Never log it. */
  token?: string;
  /** Network-share folder with version_info.xml and the package files (seed 002). */
  source?: string;
  install: string;
  state: string;
  /** ed25519 public key (PEM); when set, unsigned or badly signed packages are refused. */
  publicKeyPem?: string;
  publicKeyFile?: string;
  /** The server's decision key(s) (--server-key): answers naming a version must be signed by one of them. */
  serverKeys?: KeyObject[];
  serverKeyFile?: string;
  /** A private CA's certificate(s), PEM (--ca), trusted for https beside the public roots. */
  caPem?: string;
  caFile?: string;
  /** Plain http to a server that is not on this machine (--insecure-http); warned about at every start. */
  insecureHttp?: boolean;
  answer?: Answer;
  protocol: Protocol;
  /** The client's display name; default: the computer name. */
  name?: string;
  applyBy: ApplyBy;
  /** Run after staging when applyBy is service, e.g. ["systemctl", "start", "update-fleet-apply.service"]. */
  applyCommand?: string[];
  /** Multiplies the server's check interval and start-up delay (demos and tests use small values). */
  intervalScale: number;
  /** First-check delay before the server has told us its own (seed 002: 5 minutes). */
  startupDelaySeconds: number;
  /** Check interval for sources that do not say (the share, the legacy ini): seed 002's "daily". */
  checkIntervalSeconds: number;
  /** launch: a new version that exits within this many seconds of its start failed to start (rolled back). */
  startGraceSeconds: number;
  /** launch: run after a new version started (after the grace time); a non-zero exit rolls it back. */
  healthCommand?: string[];
  /** launch: after SIGTERM, how long the program may take to end before SIGKILL. */
  stopGraceSeconds: number;
  /** Retention: verified packages kept in <state>/downloads (seed 003: kept for a manual rollback). */
  keepDownloads: number;
  /** Retention: previous versions kept beside the install ("_old", "_old.2", …). */
  keepOld: number;
  json: boolean;
  configFile?: string;
  /** launch: the program and its arguments (after "--"). */
  program: string[];
  /** launch: talk to the privileged service over its socket instead of updating the install itself. */
  viaService: boolean;
  /** The service's local socket (service listens, launch --via-service connects). */
  serviceSocket: string;
  /** service: members of this group may connect (checked per connection with SO_PEERCRED). */
  socketGroup?: number;
  /** service: these uids may connect too (checked per connection with SO_PEERCRED). */
  allowUsers: number[];
  /** install-service: where the systemd unit goes. */
  systemdDir: string;
}

export interface ParsedArgs {
  command: CommandName;
  flags: Map<string, string | true>;
  /** launch: the program and its arguments, everything after "--". */
  program: string[];
}

export const VALUE_FLAGS = new Set([
  'config', 'server', 'token', 'token-file', 'source', 'install', 'state', 'public-key', 'answer', 'protocol', 'name',
  'apply-by', 'interval-scale', 'startup-delay', 'check-interval', 'start-grace', 'health-command', 'stop-grace',
  'keep-downloads', 'keep-old', 'service-socket', 'socket-group', 'allow-user', 'systemd-dir', 'server-key', 'ca',
  'count', 'failure-rate', 'duration', 'prefix', 'concurrency', 'start-version', 'ramp',
]);
export const BOOL_FLAGS = new Set(['json', 'help', 'via-service', 'insecure-http']);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const flags = new Map<string, string | true>();
  let command: CommandName | undefined;
  let program: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      program = argv.slice(i + 1);
      break;
    }
    if (arg === '-h') {
      flags.set('help', true);
      continue;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      if (BOOL_FLAGS.has(name)) {
        if (eq >= 0) throw new UsageError(`--${name} takes no value.`);
        flags.set(name, true);
        continue;
      }
      if (!VALUE_FLAGS.has(name)) throw new UsageError(`Unknown option --${name}. Run "update-fleet-agent help" for the list.`);
      let value: string | undefined;
      if (eq >= 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) value = argv[++i];
      if (value === undefined || value === '') throw new UsageError(`--${name} needs a value.`);
      if (flags.has(name)) throw new UsageError(`--${name} is given twice.`);
      flags.set(name, value);
      continue;
    }
    if (command) throw new UsageError(`Unexpected argument "${arg}" after the command "${command}".`);
    if (!(COMMANDS as readonly string[]).includes(arg)) {
      throw new UsageError(`Unknown command "${arg}". Commands: ${COMMANDS.join(', ')}.`);
    }
    command = arg as CommandName;
  }
  if (!command) command = 'help';
  if (program.length > 0 && command !== 'launch') throw new UsageError(`Only "launch" takes a program after "--".`);
  return { command, flags, program };
}

export { defaultStateDir };

/** The keys the JSON file may hold; an unknown key is a typo worth stopping for. */
interface FileConfig {
  server?: string;
  token?: string;
  tokenFile?: string;
  source?: string;
  install?: string;
  state?: string;
  publicKey?: string;
  serverKey?: string;
  ca?: string;
  insecureHttp?: boolean;
  answer?: string;
  protocol?: string;
  name?: string;
  applyBy?: string;
  applyCommand?: string[];
  intervalScale?: number;
  startupDelaySeconds?: number;
  checkIntervalSeconds?: number;
  startGraceSeconds?: number;
  healthCommand?: string[];
  stopGraceSeconds?: number;
  keepDownloads?: number;
  keepOld?: number;
  viaService?: boolean;
  serviceSocket?: string;
  socketGroup?: number;
  allowUsers?: number[];
}
const FILE_KEYS: readonly (keyof FileConfig)[] = [
  'server', 'token', 'tokenFile', 'source', 'install', 'state', 'publicKey', 'serverKey', 'ca', 'insecureHttp', 'answer', 'protocol', 'name', 'applyBy',
  'applyCommand', 'intervalScale', 'startupDelaySeconds', 'checkIntervalSeconds', 'startGraceSeconds', 'healthCommand',
  'stopGraceSeconds', 'keepDownloads', 'keepOld', 'viaService', 'serviceSocket', 'socketGroup',
  'allowUsers',
];

function str(flags: Map<string, string | true>, name: string): string | undefined {
  const v = flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function parseServerUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`--server "${text}" is not a URL; expected e.g. http://fleet.example.com:8080`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--server must be an http:// or https:// URL, not ${u.protocol}`);
  return u.toString().replace(/\/+$/, '');
}

export function parsePositiveNumber(name: string, text: string | number, opts: { integer?: boolean; min?: number; max?: number } = {}): number {
  const n = typeof text === 'number' ? text : Number(text);
  const min = opts.min ?? Number.MIN_VALUE;
  if (!Number.isFinite(n) || n < min || (opts.max !== undefined && n > opts.max) || (opts.integer && !Number.isInteger(n))) {
    const range = opts.max !== undefined ? ` between ${min} and ${opts.max}` : ` of at least ${min}`;
    throw new UsageError(`--${name} must be a ${opts.integer ? 'whole ' : ''}number${range}, not "${text}".`);
  }
  return n;
}

async function readSecretFile(path: string, what: string): Promise<string> {
  try {
    const text = (await fsp.readFile(path, 'utf8')).trim();
    if (!text) throw new UsageError(`The ${what} file ${path} is empty.`);
    return text;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`Cannot read the ${what} file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Defaults < config file < environment (token only) < flags. Relative paths in the file are relative to the file. */
export async function loadConfig(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<AgentConfig> {
  const f = args.flags;
  const stateFlag = str(f, 'state');
  const explicitConfig = str(f, 'config');
  const configFile = explicitConfig ? resolve(cwd, explicitConfig) : join(stateFlag ? resolve(cwd, stateFlag) : defaultStateDir(env), 'agent.json');
  let file: FileConfig = {};
  let loaded: FileConfig | undefined;
  try {
    loaded = await readJsonFile<FileConfig>(configFile);
  } catch (e) {
    throw new UsageError(`Cannot read the configuration: ${(e as Error).message}`);
  }
  if (explicitConfig && !loaded) throw new UsageError(`The configuration file ${configFile} does not exist.`);
  if (loaded !== undefined) {
    if (typeof loaded !== 'object' || loaded === null || Array.isArray(loaded)) throw new UsageError(`${configFile} must hold a JSON object.`);
    for (const k of Object.keys(loaded)) {
      if (!(FILE_KEYS as readonly string[]).includes(k)) throw new UsageError(`${configFile}: unknown setting "${k}". Known: ${FILE_KEYS.join(', ')}.`);
    }
    file = loaded;
  }
  const base = dirname(configFile);
  const fromFile = (p: string | undefined): string | undefined => (p === undefined ? undefined : isAbsolute(p) ? p : resolve(base, p));
  const fromFlag = (p: string | undefined): string | undefined => (p === undefined ? undefined : resolve(cwd, p));

  const serverText = str(f, 'server') ?? file.server;
  const server = serverText ? parseServerUrl(serverText) : undefined;
  const insecureHttp = f.get('insecure-http') === true || file.insecureHttp === true;
  if (server) {
    const transport = transportFor(server, insecureHttp);
    if (transport.use === 'refused') throw new UsageError(transport.reason);
  }
  const serverKeyFile = fromFlag(str(f, 'server-key')) ?? fromFile(file.serverKey);
  const serverKeys = serverKeyFile ? parseServerKeys(await readSecretFile(serverKeyFile, 'server key'), serverKeyFile) : undefined;
  const caFile = fromFlag(str(f, 'ca')) ?? fromFile(file.ca);
  const caPem = caFile ? await readSecretFile(caFile, 'CA certificate') : undefined;
  if (caFile && !caPem!.includes('BEGIN CERTIFICATE')) throw new UsageError(`${caFile} is not a PEM certificate (expected "-----BEGIN CERTIFICATE-----").`);

  let token = str(f, 'token');
  if (!token && str(f, 'token-file')) token = await readSecretFile(fromFlag(str(f, 'token-file'))!, 'token');
  if (!token && file.token) token = file.token;
  if (!token && file.tokenFile) token = await readSecretFile(fromFile(file.tokenFile)!, 'token');
  if (!token && env.UPDATE_FLEET_AGENT_TOKEN) token = env.UPDATE_FLEET_AGENT_TOKEN;

  const publicKeyFile = fromFlag(str(f, 'public-key')) ?? fromFile(file.publicKey);
  let publicKeyPem: string | undefined;
  if (publicKeyFile) {
    publicKeyPem = await readSecretFile(publicKeyFile, 'public key');
    if (!publicKeyPem.includes('BEGIN PUBLIC KEY')) throw new UsageError(`${publicKeyFile} is not a PEM public key (expected "-----BEGIN PUBLIC KEY-----").`);
  }

  const answerText = str(f, 'answer') ?? file.answer;
  const protocol = (str(f, 'protocol') ?? file.protocol ?? 'json') as Protocol;
  if (protocol !== 'json' && protocol !== 'ini') throw new UsageError(`--protocol must be json or ini, not "${protocol}".`);
  const applyBy = (str(f, 'apply-by') ?? file.applyBy ?? 'launcher') as ApplyBy;
  if (!APPLY_BY.includes(applyBy)) throw new UsageError(`--apply-by must be launcher, agent or service, not "${applyBy}".`);
  if (file.healthCommand !== undefined && (!Array.isArray(file.healthCommand) || file.healthCommand.length === 0 || !file.healthCommand.every((s) => typeof s === 'string'))) {
    throw new UsageError(`${configFile}: healthCommand must be a list of strings, e.g. ["/opt/fleet-client/app/bin/selftest"].`);
  }
  // On the command line the health command is one string for the shell.
  const healthFlag = str(f, 'health-command');
  const healthCommand = healthFlag ? (process.platform === 'win32' ? ['cmd.exe', '/d', '/s', '/c', healthFlag] : ['/bin/sh', '-c', healthFlag]) : file.healthCommand;
  const num = (flag: string, key: keyof FileConfig, dflt: number, o: { integer?: boolean; min?: number; max?: number }) => {
    const t = str(f, flag) ?? (file[key] as number | undefined);
    return t === undefined ? dflt : parsePositiveNumber(flag, t, o);
  };
  if (file.applyCommand !== undefined && (!Array.isArray(file.applyCommand) || file.applyCommand.length === 0 || !file.applyCommand.every((s) => typeof s === 'string'))) {
    throw new UsageError(`${configFile}: applyCommand must be a list of strings, e.g. ["systemctl", "start", "update-fleet-apply.service"].`);
  }

  const scaleText = str(f, 'interval-scale') ?? file.intervalScale;
  const delayText = str(f, 'startup-delay') ?? file.startupDelaySeconds;
  const intervalText = str(f, 'check-interval') ?? file.checkIntervalSeconds;
  const state = fromFlag(stateFlag) ?? fromFile(file.state) ?? defaultStateDir(env);
  const install = fromFlag(str(f, 'install')) ?? fromFile(file.install);
  const source = fromFlag(str(f, 'source')) ?? fromFile(file.source);

  return {
    server,
    token,
    source,
    install: install ?? '',
    state,
    publicKeyPem,
    publicKeyFile,
    serverKeys,
    serverKeyFile,
    caPem,
    caFile,
    insecureHttp,
    answer: answerText ? parseAnswer(answerText) : undefined,
    protocol,
    name: str(f, 'name') ?? file.name,
    applyBy,
    applyCommand: file.applyCommand,
    intervalScale: scaleText === undefined ? 1 : parsePositiveNumber('interval-scale', scaleText, { max: 1000 }),
    startupDelaySeconds: delayText === undefined ? 300 : parsePositiveNumber('startup-delay', delayText, { min: 0, max: 86_400 }),
    checkIntervalSeconds: intervalText === undefined ? 86_400 : parsePositiveNumber('check-interval', intervalText, { min: 1, max: 30 * 86_400 }),
    startGraceSeconds: num('start-grace', 'startGraceSeconds', 10, { min: 0, max: 3600 }),
    healthCommand,
    stopGraceSeconds: num('stop-grace', 'stopGraceSeconds', 10, { min: 0, max: 3600 }),
    keepDownloads: num('keep-downloads', 'keepDownloads', 2, { integer: true, min: 1, max: 100 }),
    keepOld: num('keep-old', 'keepOld', 1, { integer: true, min: 1, max: 20 }),
    json: f.get('json') === true,
    configFile: loaded ? configFile : undefined,
    program: args.program,
    viaService: f.get('via-service') === true || file.viaService === true,
    serviceSocket: fromFlag(str(f, 'service-socket')) ?? fromFile(file.serviceSocket) ?? defaultServiceSocket(),
    socketGroup: str(f, 'socket-group') !== undefined || file.socketGroup !== undefined
      ? parsePositiveNumber('socket-group', str(f, 'socket-group') ?? file.socketGroup!, { integer: true, min: 0, max: 4_294_967_294 })
      : undefined,
    allowUsers: parseAllowUsers(str(f, 'allow-user'), file.allowUsers, configFile),
    systemdDir: fromFlag(str(f, 'systemd-dir')) ?? '/etc/systemd/system',
  };
}

/** --allow-user 1000,1001 or "allowUsers": [1000, 1001]: uids, as the kernel reports the peer's. */
function parseAllowUsers(flag: string | undefined, fromFile: unknown, configFile: string): number[] {
  if (flag !== undefined) return flag.split(',').map((u) => parsePositiveNumber('allow-user', u.trim(), { integer: true, min: 0, max: 4_294_967_294 }));
  if (fromFile === undefined) return [];
  if (!Array.isArray(fromFile) || !fromFile.every((u) => Number.isInteger(u) && u >= 0)) throw new UsageError(`${configFile}: allowUsers must be a list of uids, e.g. [1000, 1001].`);
  return fromFile as number[];
}

/** What each command needs before it can start; a missing piece is a usage error (exit 2). */
export function requireFor(command: CommandName, c: AgentConfig): void {
  if (command === 'launch' && c.program.length === 0) throw new UsageError('launch needs the program to start: update-fleet-agent launch [options] -- <program> [args…]');
  // The user's side of the service never touches the install: it needs only the socket.
  if (command === 'launch' && c.viaService) return;
  const needsInstall = command === 'launch' || command === 'service' || command === 'install-service' || command === 'run' || command === 'check' || command === 'apply' || command === 'rollback' || command === 'status';
  if (needsInstall && !c.install) throw new UsageError('Which program does the agent update? Give --install DIR (or "install" in the configuration file).');
  if (command === 'run' || command === 'check' || command === 'launch' || command === 'service') {
    if (!c.source && !c.server) throw new UsageError('Where do updates come from? Give --server URL with --token-file FILE, or --source DIR (a share with version_info.xml).');
  }
  if (c.server && !c.token && (command === 'run' || command === 'check' || command === 'launch' || command === 'service')) {
    throw new UsageError('The server needs the enrollment token: give --token-file FILE (or --token, or UPDATE_FLEET_AGENT_TOKEN).');
  }
  if (c.protocol === 'ini' && !c.server) throw new UsageError('--protocol ini reads the legacy check.ini from a server: give --server.');
  if (c.protocol === 'ini' && c.source) throw new UsageError('--protocol ini and --source do not go together: the share has version_info.xml.');
  if (c.serverKeys && c.protocol === 'ini') throw new UsageError('--server-key and --protocol ini do not go together: the legacy check.ini has no room for a signature. Use the JSON check-in.');
  if (c.serverKeys && c.source) throw new UsageError('--server-key verifies a server\'s answers; a share (--source) has no signed answers.');
}

/** The configuration as status prints it: the token is replaced by whether it is set. */
export function describeConfig(c: AgentConfig): Record<string, unknown> {
  return {
    configFile: c.configFile ?? null,
    server: c.server ?? null,
    token: c.token ? '(set)' : '(not set)',
    source: c.source ?? null,
    install: c.install,
    state: c.state,
    publicKey: c.publicKeyFile ?? null,
    serverKey: c.serverKeyFile ?? null,
    ca: c.caFile ?? null,
    insecureHttp: c.insecureHttp === true,
    answer: c.answer ? (c.answer.kind === 'remind' ? `remind:${c.answer.days}` : c.answer.kind) : null,
    protocol: c.protocol,
    name: c.name ?? null,
    applyBy: c.applyBy,
    intervalScale: c.intervalScale,
    startupDelaySeconds: c.startupDelaySeconds,
    checkIntervalSeconds: c.checkIntervalSeconds,
    startGraceSeconds: c.startGraceSeconds,
    healthCommand: c.healthCommand ?? null,
    stopGraceSeconds: c.stopGraceSeconds,
    keepDownloads: c.keepDownloads,
    keepOld: c.keepOld,
  };
}
