// The local wire between the user's side (`launch --service SOCKET`, in the user's session) and the privileged
// update service (`update-fleet-agent service`, which owns the install). One JSON object per line each way.
// The user's side can only ask what is pending, answer a question, and say the program exited: no message names a
// path, a version to install or a rename, so a compromised user session cannot make the service touch files
// other than by the service's own rules.
import type { UpdateAnswer } from './agentRules';

export type ServiceRequest =
  | { op: 'pending' }
  | { op: 'answer'; questionId: string; answer: UpdateAnswer }
  | { op: 'exited'; code: number | null };

/** What the user is asked: the same shape whether the agent asks itself or the service asks through the launcher. */
export interface PromptRequest {
  /** download: an offer from a check; install: a staged update at start-up ("install later" was chosen before). */
  phase: 'download' | 'install';
  version: string;
  installedVersion: string;
  mandatory: boolean;
  /** "Remind me in N days" choices the policy offers (seed 000: 1, 3, 7). */
  remindOptionsDays: number[];
  /** What the server said, in words. */
  message: string;
}

export interface PendingQuestion extends PromptRequest {
  questionId: string;
}

export type ServiceResponse =
  | { ok: true; question: PendingQuestion | null; mustShutDown: boolean; restartForUpdate: boolean; message?: string }
  | { ok: false; error: string };

const MAX_LINE = 4096;

/** Parse one request line; anything else than the three requests (extra fields included) is refused. */
export function parseServiceRequest(line: string): ServiceRequest {
  if (line.length > MAX_LINE) throw new Error('request too long');
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new Error('request is not JSON');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('request must be a JSON object');
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort().join(',');
  if (o.op === 'pending' && keys === 'op') return { op: 'pending' };
  if (o.op === 'exited' && keys === 'code,op' && (o.code === null || Number.isInteger(o.code))) return { op: 'exited', code: o.code as number | null };
  if (o.op === 'answer' && keys === 'answer,op,questionId' && typeof o.questionId === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(o.questionId)) {
    return { op: 'answer', questionId: o.questionId, answer: parseWireAnswer(o.answer) };
  }
  throw new Error(`refused request: only {op:"pending"}, {op:"answer",questionId,answer} and {op:"exited",code} are allowed`);
}

function parseWireAnswer(a: unknown): UpdateAnswer {
  const o = a as Record<string, unknown> | null;
  if (!o || typeof o !== 'object') throw new Error('answer must be an object');
  const keys = Object.keys(o).sort().join(',');
  if (keys === 'kind' && (o.kind === 'now' || o.kind === 'later' || o.kind === 'decline' || o.kind === 'never')) return { kind: o.kind };
  if (keys === 'days,kind' && o.kind === 'remind' && Number.isInteger(o.days) && (o.days as number) >= 1 && (o.days as number) <= 90) return { kind: 'remind', days: o.days as number };
  throw new Error('answer must be now, later, remind (1-90 days), decline or never');
}
