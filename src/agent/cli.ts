// The command line: parse, load the configuration, build the agent from its parts, run one command.
import { transportFor } from '../core/transport';
import { Agent } from './agent';
import { createHttp } from './http';
import { describeConfig, loadConfig, parseArgs, parsePositiveNumber, parseServerUrl, requireFor, type AgentConfig, type ParsedArgs } from './config';
import { EXIT, UsageError, messageOf, type ExitCode } from './errors';
import { loadIdentity, type Identity } from './identity';
import { ClientCredential } from './clientCredential';
import { launch } from './launcher';
import { launchViaService } from './launchViaService';
import { runService, SocketPrompter } from './service';
import { installServiceUnit } from './systemdUnit';
import { consoleLogger, type Logger } from './log';
import { runningAsSingleExecutable, selfCommand } from './platform';
import { createPrompter, type Prompter } from './prompter';
import { LocalReporter, ServerReporter, type Reporter } from './reporter';
import { ServerSource } from './serverSource';
import { ShareSource } from './shareSource';
import { runSimulator, type SimulatorOptions } from './simulator';
import type { UpdateSource } from './updateSource';

export const USAGE = `update-fleet-agent — keeps one installed program up to date from an Update Fleet server or a share.

Usage: update-fleet-agent <command> [options]
       update-fleet-agent launch [options] -- <program> [args…]

Commands
  launch     start the program through the launcher: recover an interrupted swap, swap in an accepted update,
             start the program, check after the start-up delay and then at the interval, stage updates in
             <install>_update_pending while it runs, swap them in when it exits; roll back a new version that
             fails to start; end the program when the user declines a mandatory update
  service    the privileged update service (as root; seed 002): owns the install, checks, stages, and swaps
             when the user's side says the program exited; listens on --service-socket
  install-service
             write the systemd unit of the service into --systemd-dir (default /etc/systemd/system)
  run        keep going without a program: first check after the start-up delay, then at the interval the
             server returns (Ctrl-C or SIGTERM stops it); stages, and swaps only with --apply-by agent
  check      check once and follow the decision (download, verify, stage; swap only with --apply-by agent)
  apply      swap the staged <install>_update_pending in (for the privileged update service, at shutdown/boot)
  rollback   swap <install>_old back in
  status     what is installed, staged, deferred; the client id (--json for JSON)
  simulate   run many virtual clients against a server (load tests, demos); no files are written

Options
  --config FILE          JSON configuration (default <state>/agent.json); flags override it
  --server URL           the Update Fleet server
  --token-file FILE      file holding the enrollment token (or --token T, or UPDATE_FLEET_AGENT_TOKEN)
  --source DIR           a network-share folder with version_info.xml and the package (instead of a server)
  --install DIR          the program folder to keep up to date (holds a VERSION file)
  --state DIR            the agent's own folder: id, journal, downloads (default: ${'$'}UPDATE_FLEET_AGENT_STATE,
                         /var/lib/update-fleet-agent as root, ~/.local/state/update-fleet-agent otherwise)
  --public-key FILE      ed25519 public key (PEM): refuse packages without a valid signature
  --server-key FILE      the server's decision key(s) ("update-fleet-server key export"; PEM or base64, several
                         allowed): act only on signed, unexpired answers; a lower version only when the signed
                         answer is a rollback or an allowed downgrade
  --ca FILE              trust this CA certificate (PEM) for https, beside the public roots
  --insecure-http        allow plain http:// to a server that is not on this machine (warned at every start)
  --answer A             answer to update questions when nobody is at a terminal:
                         now | later | remind:N | decline | never (without one: the terminal, else a zenity
                         dialog in a graphical session, else later); N is fitted to the policy's choices
  --protocol json|ini    json check-in (default) or the legacy check.ini
  --name NAME            the client's name on the server (default: the computer name)
  --apply-by launcher|agent|service
                         who swaps the new version in: launcher (default) = launch at the program's exit, or
                         apply; agent = check/run right away (only where the program is not running);
                         service = only "apply" (the privileged update service)
  --startup-delay S      first check S seconds after the start until the server says (default 300, seed 002)
  --check-interval S     seconds between checks when the source does not say (share, ini; default 86400)
  --interval-scale X     multiply the server's intervals by X (demos and tests)
  --start-grace S        launch: a new version exiting within S seconds failed to start and is rolled back
                         (default 10)
  --health-command CMD   launch and service: run (by the shell) after a new version's grace time; failing rolls
                         it back
  --stop-grace S         launch: seconds between SIGTERM and SIGKILL when the program must end (default 10)
  --keep-downloads N     verified packages kept in <state>/downloads (default 2; older ones are removed)
  --keep-old N           previous versions kept beside the install: _old, _old.2, … (default 1)
  --via-service          launch: leave the install to the privileged service; only ask, answer and report the exit
  --service-socket PATH  the service's socket (default /run/update-fleet-agent/agent.sock)
  --socket-group GID     service: members of this group may ask and answer (each peer's uid and groups are
                         checked with SO_PEERCRED; root always may, everyone else is refused with the reason)
  --allow-user UID[,UID] service: these users may ask and answer too
  --systemd-dir DIR      install-service: where the unit file goes (default /etc/systemd/system)
  --json                 status as JSON

Simulator options
  --server URL --token T --count N [--failure-rate 0.05] [--duration S] [--prefix sim]
  [--interval-scale X] [--concurrency 64] [--start-version 1.0.0[,1.1.0]] [--ramp S] [--insecure-http]

Exit codes: 0 ok, 1 failure (reported to the server), 2 usage error, 3 the program must shut down
(the user declined a mandatory update).`;

/**
 * Where updates come from and where reports go. With a server both use one client credential, enrolled with the
 * enrollment token at the first request.
 */
export function buildSourceAndReporter(c: AgentConfig, identity: Identity, log: Logger): { source?: UpdateSource; reporter: Reporter } {
  const timing = { checkIntervalSeconds: c.checkIntervalSeconds, startupDelaySeconds: c.startupDelaySeconds };
  if (c.source) return { source: new ShareSource({ dir: c.source, ...timing }), reporter: new LocalReporter(c.state, identity.clientId, log) };
  if (c.server && c.token) {
    const credential = new ClientCredential({ server: c.server, enrollToken: c.token, identity, stateDir: c.state, http: createHttp(30_000, { caPem: c.caPem }) });
    return {
      source: new ServerSource({ server: c.server, token: c.token, protocol: c.protocol, credential, ...timing, http: createHttp(30_000, { caPem: c.caPem }), serverKeys: c.serverKeys }),
      reporter: new ServerReporter(c.server, c.token, identity.clientId, log, createHttp(15_000, { caPem: c.caPem }), credential),
    };
  }
  return { reporter: new LocalReporter(c.state, identity.clientId, log) };
}

export async function createAgent(c: AgentConfig, log: Logger, prompter: Prompter = createPrompter(c.answer)): Promise<Agent> {
  const identity = await loadIdentity(c.state, c.name);
  return new Agent({
    config: c,
    identity,
    ...buildSourceAndReporter(c, identity, log),
    prompter,
    log,
  });
}

/** Until SIGINT/SIGTERM: the long-running commands stop cleanly (at shutdown the launcher still swaps). */
async function untilStopped<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await fn(ac.signal);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function simulatorOptions(args: ParsedArgs, env: NodeJS.ProcessEnv): SimulatorOptions {
  const f = (n: string) => {
    const v = args.flags.get(n);
    return typeof v === 'string' ? v : undefined;
  };
  const server = f('server');
  if (!server) throw new UsageError('simulate needs --server URL.');
  const token = f('token') ?? env.UPDATE_FLEET_AGENT_TOKEN;
  if (!token && !f('token-file')) throw new UsageError('simulate needs the enrollment token: --token T or --token-file FILE.');
  const count = f('count');
  if (!count) throw new UsageError('simulate needs --count N (how many virtual clients).');
  const prefix = f('prefix') ?? 'sim';
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(prefix)) throw new UsageError('--prefix must be 1-32 letters, digits, "-" or "_".');
  const transport = transportFor(parseServerUrl(server), args.flags.get('insecure-http') === true);
  if (transport.use === 'refused') throw new UsageError(transport.reason);
  const versions = f('start-version')?.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    server: parseServerUrl(server),
    token: token ?? '',
    count: parsePositiveNumber('count', count, { integer: true, min: 1, max: 1_000_000 }),
    failureRate: f('failure-rate') === undefined ? 0.05 : parsePositiveNumber('failure-rate', f('failure-rate')!, { min: 0, max: 1 }),
    durationSeconds: f('duration') === undefined ? undefined : parsePositiveNumber('duration', f('duration')!),
    prefix,
    intervalScale: f('interval-scale') === undefined ? 1 : parsePositiveNumber('interval-scale', f('interval-scale')!, { max: 1000 }),
    concurrency: f('concurrency') === undefined ? undefined : parsePositiveNumber('concurrency', f('concurrency')!, { integer: true, min: 1, max: 4096 }),
    rampSeconds: f('ramp') === undefined ? undefined : parsePositiveNumber('ramp', f('ramp')!, { min: 0 }),
    startVersions: versions && versions.length > 0 ? versions : undefined,
  };
}

async function simulate(args: ParsedArgs, env: NodeJS.ProcessEnv, log: Logger): Promise<ExitCode> {
  const opts = simulatorOptions(args, env);
  const transport = transportFor(opts.server, args.flags.get('insecure-http') === true);
  if (transport.use === 'insecure-http') log.warn(transport.warning);
  const tokenFile = args.flags.get('token-file');
  if (!opts.token && typeof tokenFile === 'string') {
    const { readFile } = await import('node:fs/promises');
    opts.token = (await readFile(tokenFile, 'utf8')).trim();
  }
  const sim = runSimulator({ ...opts, log: (m) => log.info(m) });
  const stop = () => void sim.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const ticker = setInterval(() => {
    const s = sim.stats();
    log.info(`simulator: ${opts.count} clients · ${s.checkins} check-ins · ${s.reports} reports · ${s.failures} failures · ${s.errors} errors`);
  }, 5000);
  try {
    await sim.done;
  } finally {
    clearInterval(ticker);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  const s = sim.stats();
  log.info(`simulator finished: ${s.checkins} check-ins, ${s.reports} reports, ${s.failures} failures reported, ${s.errors} errors.`);
  return s.checkins > 0 ? EXIT.ok : EXIT.failure;
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const long = argv[0] === 'run' || argv[0] === 'simulate' || argv[0] === 'launch' || argv[0] === 'service';
  // Under launch the program owns stdout; the launcher's words go to stderr.
  const log = consoleLogger({ timestamps: long, infoToStderr: argv.includes('--json') || argv[0] === 'launch' });
  try {
    const args = parseArgs(argv);
    if (args.command === 'help' || args.flags.get('help') === true) {
      process.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    if (args.command === 'simulate') return await simulate(args, env, log);
    const config = await loadConfig(args, env);
    requireFor(args.command, config);
    const transport = config.server ? transportFor(config.server, config.insecureHttp === true) : undefined;
    if (transport?.use === 'insecure-http') log.warn(transport.warning);
    if (args.command === 'launch' && config.viaService) {
      return await untilStopped((signal) => launchViaService({ config, prompter: createPrompter(config.answer), log, signal }));
    }
    if (args.command === 'service') {
      const prompter = new SocketPrompter();
      const agent = await createAgent(config, log, prompter);
      return await untilStopped((signal) => runService({ agent, config, prompter, log, signal }));
    }
    if (args.command === 'install-service') {
      if (!config.configFile) throw new UsageError('install-service needs the configuration file the service will read: --config FILE.');
      const file = await installServiceUnit(config.systemdDir, selfCommand(runningAsSingleExecutable()), config.configFile);
      process.stdout.write(`Wrote ${file}.\nEnable it with: systemctl daemon-reload && systemctl enable --now update-fleet-agent.service\n`);
      return EXIT.ok;
    }
    const agent = await createAgent(config, log);
    switch (args.command) {
      case 'check':
        return await agent.check();
      case 'apply':
        return await agent.apply();
      case 'rollback':
        return await agent.rollback();
      case 'status': {
        const s = await agent.status();
        const out = { ...s, config: describeConfig(config) };
        process.stdout.write(config.json ? `${JSON.stringify(out, null, 2)}\n` : formatStatus(out));
        return EXIT.ok;
      }
      case 'launch':
        return await untilStopped((signal) => launch({ agent, config, log, signal }));
      case 'run': {
        const ac = new AbortController();
        const stop = () => ac.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          return await agent.run(ac.signal);
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
      }
    }
    return EXIT.usage;
  } catch (e) {
    if (e instanceof UsageError) {
      log.error(`${e.message}\nRun "update-fleet-agent help" for usage.`);
      return EXIT.usage;
    }
    log.error(messageOf(e));
    return EXIT.failure;
  }
}

function formatStatus(s: Record<string, unknown>): string {
  const staged = s.staged as { version: string; consent: string; dir: string } | null;
  const deferred = s.deferred as { version: string; until: string } | null;
  const journal = s.journal as { op: string; step: string } | null;
  const lines = [
    `Client id:     ${String(s.clientId)}`,
    `Name:          ${String(s.name)} (computer ${String(s.computer)}, ${String(s.ip)}, user ${String(s.user)})`,
    `Install:       ${String(s.install)} — version ${String(s.installedVersion ?? 'unknown (no VERSION file)')}`,
    `Staged:        ${staged ? `${staged.version} in ${staged.dir} (${staged.consent === 'granted' ? 'installs at the next start or apply' : staged.consent === 'ask' ? 'the user is asked at the next start' : 'declined'})` : 'nothing'}`,
    `Previous:      ${s.previousVersion ? `${String(s.previousVersion)} (rollback restores it)` : 'none kept'}`,
    `Deferred:      ${deferred ? `${deferred.version} until ${deferred.until}` : 'no'}`,
    `Last check:    ${s.lastCheckAt ? `${String(s.lastCheckAt)} — ${String(s.lastResult)}` : 'never'}`,
    `Journal:       ${journal ? `${journal.op} at ${journal.step}` : 'clean'}`,
    ...(s.rolledBack ? [`Rolled back:   ${(s.rolledBack as { reason: string }).reason}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}
