// `update-fleet-agent service`: the privileged update service of seed 002. It owns the install folder and does
// every file change (check, download, stage, swap); the user's side (`launch --via-service`, in the user's session)
// talks to it over a local socket and can only ask what is pending, answer, and say the program exited
// (src/core/serviceWire.ts). Who may say anything is decided per connection from the peer's uid and groups as the
// kernel reports them (SO_PEERCRED, src/agent/peerCredentials.ts) by src/core/servicePeer.ts: root, the users of
// --allow-user and the members of --socket-group; anyone else gets the reason and the connection is closed.
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { stepAtExit } from '../core/launchRules';
import { peerVerdict, type PeerPolicy } from '../core/servicePeer';
import { parseServiceRequest, type PendingQuestion, type ServiceRequest, type ServiceResponse } from '../core/serviceWire';
import type { Agent } from './agent';
import type { AgentConfig } from './config';
import { AgentFailure, EXIT, messageOf } from './errors';
import { checkLoop } from './launcher';
import type { Logger } from './log';
import { loadPeercred, peerOf } from './peerCredentials';
import type { Answer, PromptRequest, Prompter } from './prompter';
import { ServiceStartWatch } from './serviceStartWatch';

/** A question waits this long for the user's side before it counts as "later". */
const QUESTION_TIMEOUT_MS = 10 * 60_000;

/** The service's prompter: a question waits on the socket until the user's side answers it. */
export class SocketPrompter implements Prompter {
  private current?: { q: PendingQuestion; resolve: (a: Answer) => void };
  private notice?: string;

  ask(r: PromptRequest, signal?: AbortSignal): Promise<Answer> {
    return new Promise((resolve) => {
      const q: PendingQuestion = { questionId: randomUUID(), ...r };
      const done = (a: Answer) => {
        clearTimeout(t);
        signal?.removeEventListener('abort', later);
        if (this.current?.q === q) this.current = undefined;
        resolve(a);
      };
      const later = () => done({ kind: 'later' });
      const t = setTimeout(later, QUESTION_TIMEOUT_MS);
      signal?.addEventListener('abort', later, { once: true });
      this.current = { q, resolve: done };
    });
  }

  async tell(message: string): Promise<void> {
    this.notice = message;
  }

  pending(): PendingQuestion | null {
    return this.current?.q ?? null;
  }

  answer(questionId: string, a: Answer): boolean {
    if (!this.current || this.current.q.questionId !== questionId) return false;
    this.current.resolve(a);
    return true;
  }

  /** The program exited while a question was open: it counts as "later" (asked again at the next start). */
  cancel(): void {
    this.current?.resolve({ kind: 'later' });
  }

  takeNotice(): string | undefined {
    const n = this.notice;
    this.notice = undefined;
    return n;
  }
}

export interface ServiceOptions {
  agent: Agent;
  config: AgentConfig;
  prompter: SocketPrompter;
  log: Logger;
  signal: AbortSignal;
}

/**
 * Create the socket's folder and the socket. Anyone may connect (0755 folder, 0666 socket): the peer check on each
 * connection is the boundary, so a refused user hears why instead of a bare "permission denied".
 */
async function listen(server: net.Server, socket: string): Promise<void> {
  const dir = dirname(socket);
  await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
  await fsp.chmod(dir, 0o755);
  await fsp.rm(socket, { force: true }); // a socket file left by a killed service
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  await fsp.chmod(socket, 0o666);
}

/** Who is on the other end, and whether they may speak; a refusal carries the reason for the user. */
function admit(conn: net.Socket, policy: PeerPolicy, log: Logger): string | undefined {
  try {
    const peer = peerOf(conn);
    const v = peerVerdict(peer, policy);
    if (v.allowed) return undefined;
    log.warn(`Refused a connection: ${v.reason}.`);
    return v.reason;
  } catch (e) {
    log.warn(`Refused a connection whose peer could not be checked: ${messageOf(e)}`);
    return `the update service could not check who is connecting (${messageOf(e)})`;
  }
}

export async function runService(o: ServiceOptions): Promise<number> {
  const { agent, config, prompter, log } = o;
  // Fail closed: without the peer check nobody but the file system would stand between a user and the service.
  try {
    loadPeercred();
  } catch (e) {
    throw new AgentFailure(`The service cannot check who connects to ${config.serviceSocket}: ${messageOf(e)}`, { cause: e });
  }
  const peerPolicy: PeerPolicy = { allowUsers: config.allowUsers, allowGroups: config.socketGroup !== undefined ? [config.socketGroup] : [] };
  // At the service's start (boot) the program is not running: recover, and swap in what the user agreed to.
  const pre = await agent.beforeProgramStart();
  if (pre === EXIT.failure) log.warn('The start-up step failed; the service keeps running.');
  const flags = { mustShutDown: false, restartForUpdate: false };
  // A freshly swapped-in version is watched from its start (an early non-zero exit or a failed health command rolls
  // it back, as `launch` does locally).
  const startWatch = new ServiceStartWatch(agent, config, log, (version, detail) => {
    flags.restartForUpdate = true;
    void prompter.tell(`${version} failed its health check (${detail}), so the program is stopped and the previous version put back.`);
  });

  const handle = async (req: ServiceRequest): Promise<ServiceResponse> => {
    if (req.op === 'answer' && !prompter.answer(req.questionId, req.answer)) return { ok: false, error: 'no such question (answered already, or timed out)' };
    if (req.op === 'exited') {
      prompter.cancel(); // an open question must not hold up the swap
      const failed = startWatch.failureAtExit(req.code, flags.mustShutDown || flags.restartForUpdate);
      const probation = await agent.onProbation();
      if (probation) {
        if (failed) {
          const restored = await agent.rollBackFailedStart(probation.version, failed);
          flags.mustShutDown = false;
          flags.restartForUpdate = false;
          // Start again: the previous version is back.
          return { ok: true, question: null, mustShutDown: false, restartForUpdate: restored !== undefined, message: `The update to ${probation.version} ${failed}; ${restored ?? 'nothing'} was put back.` };
        }
        await agent.startedFine(probation.version);
      }
      const consent = await agent.stagedConsent();
      const stop = flags.mustShutDown ? 'must-shut-down' : flags.restartForUpdate ? 'restart-for-update' : 'none';
      const step = stepAtExit({ stop, staged: consent ? { consent } : null, code: req.code });
      flags.mustShutDown = false;
      flags.restartForUpdate = false;
      const swapped = step.swap ? await agent.swapAtExit() : undefined;
      return { ok: true, question: null, mustShutDown: false, restartForUpdate: false, ...(swapped ? { message: `Installed ${swapped.to}.` } : {}) };
    }
    if (req.op === 'pending') await startWatch.noteStart();
    const notice = prompter.takeNotice();
    return { ok: true, question: prompter.pending(), ...flags, ...(notice ? { message: notice } : {}) };
  };

  const server = net.createServer((conn) => {
    conn.on('error', () => conn.destroy());
    const refused = admit(conn, peerPolicy, log);
    if (refused) {
      conn.end(`${JSON.stringify({ ok: false, error: refused } satisfies ServiceResponse)}\n`);
      return;
    }
    const lines = createInterface({ input: conn, crlfDelay: Infinity });
    lines.on('line', (line) => {
      let req: ServiceRequest;
      try {
        req = parseServiceRequest(line);
      } catch (e) {
        log.warn(`Refused a request on ${config.serviceSocket}: ${messageOf(e)}`);
        conn.end(`${JSON.stringify({ ok: false, error: messageOf(e) } satisfies ServiceResponse)}\n`);
        return;
      }
      handle(req).then(
        (res) => conn.write(`${JSON.stringify(res)}\n`),
        (e: unknown) => conn.end(`${JSON.stringify({ ok: false, error: messageOf(e) } satisfies ServiceResponse)}\n`),
      );
    });
  });
  await listen(server, config.serviceSocket);
  log.info(`Listening on ${config.serviceSocket} for the user's side (launch --via-service).`);

  agent.setProgramRunning(true); // from now on the program may be running: swaps wait for "exited"
  while (!o.signal.aborted) {
    const r = await checkLoop(agent, config, o.signal, Math.random, log);
    if (!r) break;
    if (r.exitCode === EXIT.mustShutDown) flags.mustShutDown = true;
    else if (r.restartForUpdate) flags.restartForUpdate = true;
    else if (r.stopChecking) {
      log.info('No update checks for the rest of this session.');
      await new Promise<void>((resolve) => o.signal.addEventListener('abort', () => resolve(), { once: true }));
    }
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await fsp.rm(config.serviceSocket, { force: true });
  log.info('Stopped.');
  return EXIT.ok;
}
