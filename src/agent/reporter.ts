// Telling the server what happened: POST /agent/v1/report. A report that cannot be delivered never turns a
// finished update into a failure; it is logged and the next check-in brings the server up to date.
// Without a server (share source), reports go to <state>/reports.log, one JSON object per line.
import type { AxiosInstance } from 'axios';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { AGENT_PREFIX, type ReportRequest } from '../core/wire';
import type { ClientCredential } from './clientCredential';
import { ownerOfDir } from './files';
import { authHeader, createHttp, describeStatus } from './http';
import type { Logger } from './log';

export type Report = Omit<ReportRequest, 'clientId'>;

const MAX_REASON = 2000;

export interface Reporter {
  /** True when the report was delivered (or written). Never throws. */
  report(r: Report): Promise<boolean>;
}

export function describeReport(r: Report): string {
  const parts: string[] = [r.state];
  if (r.targetVersion) parts.push(`→ ${r.targetVersion}`);
  if (r.progress !== undefined) parts.push(`${r.progress}%`);
  if (r.reason) parts.push(`(${r.reason})`);
  return parts.join(' ');
}

export class ServerReporter implements Reporter {
  private readonly http: AxiosInstance;
  constructor(
    private readonly server: string,
    private readonly token: string,
    private readonly clientId: string,
    private readonly log: Logger,
    http?: AxiosInstance,
    /** Reports are authenticated as this client (its own credential). */
    private readonly credential?: ClientCredential,
  ) {
    this.http = http ?? createHttp(15_000);
  }

  async report(r: Report): Promise<boolean> {
    const body: ReportRequest = { clientId: this.clientId, ...r };
    // The server keeps reasons to 2,000 characters; a long error must not cost the whole report.
    if (body.reason && body.reason.length > MAX_REASON) body.reason = `${body.reason.slice(0, MAX_REASON - 1)}…`;
    try {
      const headers = this.credential ? await this.credential.header() : authHeader(this.token);
      const res = await this.http.post(`${this.server}${AGENT_PREFIX}/report`, body, { headers });
      if (res.status >= 200 && res.status < 300) return true;
      this.log.warn(`The server did not take the report "${describeReport(r)}": ${describeStatus(res)}`);
    } catch (e) {
      this.log.warn(`Could not send the report "${describeReport(r)}" to ${this.server}: ${(e as { code?: string }).code ?? (e as Error).message}`);
    }
    return false;
  }
}

export class LocalReporter implements Reporter {
  readonly file: string;
  constructor(stateDir: string, private readonly clientId: string, private readonly log: Logger) {
    this.file = join(stateDir, 'reports.log');
  }

  async report(r: Report): Promise<boolean> {
    try {
      await fsp.appendFile(this.file, JSON.stringify({ at: new Date().toISOString(), clientId: this.clientId, ...r }) + '\n');
      const owner = await ownerOfDir(this.file);
      if (owner) await fsp.chown(this.file, owner.uid, owner.gid);
      return true;
    } catch (e) {
      this.log.warn(`Could not write the report to ${this.file}: ${(e as Error).message}`);
      return false;
    }
  }
}
