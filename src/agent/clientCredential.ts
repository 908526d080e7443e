// The agent's own credential (issue 9): a 32-byte random secret made once and kept in the state folder (mode 0600),
// enrolled on the server with the enrollment token; every later request carries it as `ufc.<id>.<secret>`. The
// secret is the agent's own, so a retried enrollment (its answer lost) is the same enrollment, never a conflict.
import type { AxiosInstance } from 'axios';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { CLIENT_SECRET_PATTERN, encodeClientToken } from '../core/admission';
import { AGENT_PREFIX } from '../core/wire';
import { AgentFailure } from './errors';
import { writeFileAtomic } from './files';
import { authHeader, createHttp, describeStatus, networkFailure } from './http';
import type { Identity } from './identity';

export function clientSecretFile(stateDir: string): string {
  return join(stateDir, 'client.secret');
}

/** The secret: created once (0600), then the same on every run. A file that is not a secret is replaced. */
export async function loadOrCreateClientSecret(stateDir: string): Promise<string> {
  const file = clientSecretFile(stateDir);
  try {
    const text = (await fsp.readFile(file, 'utf8')).trim();
    if (CLIENT_SECRET_PATTERN.test(text)) {
      // An older copy or a restore may have left it readable by others.
      if (((await fsp.stat(file)).mode & 0o077) !== 0) await fsp.chmod(file, 0o600);
      return text;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const secret = randomBytes(32).toString('base64url');
  await fsp.mkdir(stateDir, { recursive: true });
  await writeFileAtomic(file, secret + '\n', 0o600);
  return secret;
}

export interface EnrollAnswer {
  /** `unsupported`: the server has no enrollment (a static legacy check.ini server); the enrollment token is sent instead. */
  status: 'active' | 'pending' | 'decommissioned' | 'rejected' | 'unsupported';
  message: string;
}

export class ClientCredential {
  private enrolled?: Promise<EnrollAnswer>;
  private readonly http: AxiosInstance;

  constructor(
    private readonly o: { server: string; enrollToken: string; identity: Identity; stateDir: string; http?: AxiosInstance },
  ) {
    this.http = o.http ?? createHttp(15_000);
  }

  /** The bearer header of this client, enrolling first (once per process; the server answers a repeat the same). */
  async header(): Promise<Record<string, string>> {
    const secret = await loadOrCreateClientSecret(this.o.stateDir);
    if ((await this.enroll()).status === 'unsupported') return authHeader(this.o.enrollToken);
    return authHeader(encodeClientToken(this.o.identity.clientId, secret));
  }

  /** Enroll again at the next request (the server said it does not know this client: a new database). */
  forget(): void {
    this.enrolled = undefined;
  }

  enroll(): Promise<EnrollAnswer> {
    if (!this.enrolled) {
      this.enrolled = this.enrollNow();
      // A failed enrollment is tried again at the next request.
      this.enrolled.catch(() => (this.enrolled = undefined));
    }
    return this.enrolled;
  }

  private async enrollNow(): Promise<EnrollAnswer> {
    const secret = await loadOrCreateClientSecret(this.o.stateDir);
    const id = this.o.identity;
    const url = `${this.o.server}${AGENT_PREFIX}/enroll`;
    let res;
    try {
      res = await this.http.post(url, { clientId: id.clientId, secret, name: id.name, computer: id.computer, ip: id.ip, user: id.user }, { headers: authHeader(this.o.enrollToken) });
    } catch (e) {
      throw networkFailure(e, 'Enrollment', url);
    }
    if (res.status === 200 || res.status === 201) return res.data as EnrollAnswer;
    if (res.status === 404) return { status: 'unsupported', message: 'The server has no enrollment (a legacy update server).' };
    const code = (res.data as { error?: { code?: string } } | undefined)?.error?.code;
    throw new AgentFailure(`Enrollment failed: ${describeStatus(res)}`, { refusal: code });
  }
}
