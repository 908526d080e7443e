// The fleet server as the update source: POST /agent/v1/checkin (JSON), or GET /agent/v1/check.ini for the
// legacy protocol (seed 003), and package downloads with HTTP Range so an interrupted download resumes.
import type { AxiosInstance } from 'axios';
import { randomBytes, type KeyObject } from 'node:crypto';
import type { Readable } from 'node:stream';
import { parseLegacyCheck } from '../core/legacy';
import { judgeAnswer, decisionSigningBytes, signedFieldsOfAnswer } from '../core/signedDecision';
import type { DecisionAction } from '../core/types';
import { AGENT_PREFIX, type CheckinRequest, type CheckinResponse } from '../core/wire';
import { checkDecisionSignature } from './decisionKeys';
import { AgentFailure, DecisionRefused, messageOf } from './errors';
import type { ClientCredential } from './clientCredential';
import { authHeader, createHttp, describeStatus, networkFailure, printableUrl, sameOrigin } from './http';
import { RangeNotSatisfiable, type CheckContext, type PackageStream, type UpdateSource } from './updateSource';

const ACTIONS: readonly DecisionAction[] = ['none', 'offer', 'force', 'downgrade', 'manual'];

export interface ServerSourceOptions {
  server: string;
  token: string;
  protocol: 'json' | 'ini';
  /** The legacy check.ini says nothing about timing; these are used instead. */
  checkIntervalSeconds: number;
  startupDelaySeconds: number;
  http?: AxiosInstance;
  /** The server's public key(s) (--server-key): every answer that names a version must be signed by one of them. */
  serverKeys?: readonly KeyObject[];
  /** The clock expiries are checked against. */
  now?: () => Date;
  /**
   * The client's own credential: check-ins, check.ini and downloads are authenticated as this client. A legacy
   * update server without enrollment (a static check.ini) gets the enrollment token, as a seed 003 client sends.
   */
  credential?: ClientCredential;
}

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** The error code in a server's error body. */
const errorCode = (data: unknown): string | undefined => (data as { error?: { code?: string } } | undefined)?.error?.code;

/** The response must at least say what to do and when to come back; anything else is the server's bug. */
export function validateCheckinResponse(data: unknown): CheckinResponse {
  const d = data as Partial<CheckinResponse> | null;
  if (!d || typeof d !== 'object') throw new AgentFailure('Check-in failed: the server answered with something that is not JSON');
  if (!ACTIONS.includes(d.action as DecisionAction)) throw new AgentFailure(`Check-in failed: unknown action "${String(d.action)}" in the server's answer`);
  if (typeof d.nextCheckSeconds !== 'number' || !(d.nextCheckSeconds > 0)) throw new AgentFailure('Check-in failed: the server\'s answer has no nextCheckSeconds');
  if (d.action !== 'none' && (typeof d.version !== 'string' || d.version.trim() === '')) {
    throw new AgentFailure(`Check-in failed: the server says "${d.action}" but names no version`);
  }
  return {
    ...d,
    reason: d.reason ?? 'up-to-date',
    message: typeof d.message === 'string' ? d.message : '',
    startupDelaySeconds: typeof d.startupDelaySeconds === 'number' && d.startupDelaySeconds >= 0 ? d.startupDelaySeconds : 300,
  } as CheckinResponse;
}

export class ServerSource implements UpdateSource {
  readonly description: string;
  private readonly http: AxiosInstance;

  constructor(private readonly o: ServerSourceOptions) {
    this.http = o.http ?? createHttp();
    this.description = `server ${o.server}${o.protocol === 'ini' ? ' (legacy check.ini)' : ''}`;
  }

  async check(ctx: CheckContext): Promise<CheckinResponse> {
    return this.o.protocol === 'ini' ? this.checkIni(ctx) : this.checkJson(ctx);
  }

  private async checkJson(ctx: CheckContext): Promise<CheckinResponse> {
    const url = `${this.o.server}${AGENT_PREFIX}/checkin`;
    const body: CheckinRequest = {
      clientId: ctx.identity.clientId,
      name: ctx.identity.name,
      computer: ctx.identity.computer,
      ip: ctx.identity.ip,
      user: ctx.identity.user,
      version: ctx.version,
    };
    if (ctx.state) body.state = ctx.state;
    if (ctx.deferredUntil) body.deferredUntil = ctx.deferredUntil;
    const keys = this.o.serverKeys;
    // A fresh value per check-in, signed back by the server: an answer recorded earlier cannot be played back.
    if (keys?.length) body.nonce = randomBytes(18).toString('base64url');
    const post = async () => {
      const headers = this.o.credential ? await this.o.credential.header() : authHeader(this.o.token);
      try {
        return await this.http.post(url, body, { headers });
      } catch (e) {
        throw networkFailure(e, 'Check-in', url);
      }
    };
    let res = await post();
    if (res.status === 401 && errorCode(res.data) === 'not-enrolled' && this.o.credential) {
      // The server lost this client (a new database): enroll again, once.
      this.o.credential.forget();
      res = await post();
    }
    if (res.status !== 200) throw new AgentFailure(`Check-in failed: ${describeStatus(res)}`, { refusal: errorCode(res.data) });
    const answer = validateCheckinResponse(res.data);
    if (keys?.length) {
      const bytes = decisionSigningBytes(signedFieldsOfAnswer(answer, { clientId: body.clientId, nonce: body.nonce!, installed: body.version }));
      const signature = checkDecisionSignature(bytes, typeof answer.decisionSignature === 'string' ? answer.decisionSignature : undefined, keys);
      const verdict = judgeAnswer({ answer, installed: ctx.version, signature, now: this.o.now?.() ?? new Date() });
      if (!verdict.accept) throw new DecisionRefused(verdict.reason, answer.version ?? '');
    }
    return answer;
  }

  private async checkIni(ctx: CheckContext): Promise<CheckinResponse> {
    const url = `${this.o.server}${AGENT_PREFIX}/check.ini`;
    let res;
    try {
      res = await this.http.get<string>(url, {
        params: { clientId: ctx.identity.clientId, version: ctx.version },
        headers: this.o.credential ? await this.o.credential.header() : authHeader(this.o.token),
        responseType: 'text',
        transformResponse: (x: unknown) => x,
      });
    } catch (e) {
      throw networkFailure(e, 'Check', url);
    }
    if (res.status !== 200) throw new AgentFailure(`Check failed: ${describeStatus(res)}`, { refusal: errorCode(typeof res.data === 'string' ? safeJson(res.data) : res.data) });
    let legacy;
    try {
      legacy = parseLegacyCheck(String(res.data));
    } catch (e) {
      throw new AgentFailure(`Check failed: the legacy check.ini answer cannot be read (${messageOf(e)})`, { cause: e });
    }
    const timing = { nextCheckSeconds: this.o.checkIntervalSeconds, startupDelaySeconds: this.o.startupDelaySeconds };
    if (!legacy.success) return { action: 'none', reason: 'up-to-date', message: 'No upgrade (check.ini: Success=0).', ...timing };
    // Seed 003: the build number decides; the agent asks only when it differs from the installed one.
    return {
      action: 'offer',
      version: legacy.version,
      url: legacy.url,
      mandatory: legacy.mandatory,
      delivery: 'on-demand',
      remindOptionsDays: [],
      reason: legacy.mandatory ? 'mandatory-release' : 'upgrade-available',
      message: `Build ${legacy.version} is available${legacy.mandatory ? ' and mandatory' : ''}.`,
      ...timing,
    };
  }

  async openPackage(decision: CheckinResponse, offset: number): Promise<PackageStream> {
    let url: string;
    try {
      url = new URL(decision.url ?? '', `${this.o.server}/`).toString();
    } catch {
      throw new AgentFailure(`Download failed: "${decision.url}" is not a URL`);
    }
    if (!/^https?:$/.test(new URL(url).protocol)) throw new AgentFailure(`Download failed: only http and https downloads are allowed, not ${new URL(url).protocol}`);
    const own = sameOrigin(url, this.o.server);
    const headers: Record<string, string> = !own ? {} : this.o.credential ? await this.o.credential.header() : authHeader(this.o.token);
    if (offset > 0) headers.Range = `bytes=${offset}-`;
    let res;
    try {
      res = await this.http.get<Readable>(url, { headers, responseType: 'stream', timeout: 60_000 });
    } catch (e) {
      throw networkFailure(e, 'Download', url);
    }
    const length = Number(res.headers['content-length']);
    if (res.status === 206 && offset > 0) {
      const range = String(res.headers['content-range'] ?? '');
      if (!range.startsWith(`bytes ${offset}-`)) {
        res.data.destroy();
        throw new AgentFailure(`Download failed: the server resumed at "${range}" instead of byte ${offset}`);
      }
      return { stream: res.data, resumed: true, length: Number.isFinite(length) ? length : undefined };
    }
    if (res.status === 200) return { stream: res.data, resumed: false, length: Number.isFinite(length) ? length : undefined };
    res.data.destroy();
    if (res.status === 416) throw new RangeNotSatisfiable();
    throw new AgentFailure(`Download failed: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} for ${printableUrl(url)}`);
  }
}
