// Asking the user about an update (seeds 000 and 003): install now, later, remind me in N days, decline, or
// "do not ask me again". A terminal prompt when a person is there; otherwise the configured --answer.
import { createInterface } from 'node:readline/promises';
import type { UpdateAnswer } from '../core/agentRules';
import { UsageError } from './errors';

/** The answer's rules live in src/core/agentRules.ts. */
export type Answer = UpdateAnswer;

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

export interface Prompter {
  ask(request: PromptRequest): Promise<Answer>;
}

export const MAX_REMIND_DAYS = 90;

/** now | later | remind:N | decline | never */
export function parseAnswer(text: string): Answer {
  const t = text.trim().toLowerCase();
  if (t === 'now' || t === 'later' || t === 'decline' || t === 'never') return { kind: t };
  const m = /^remind:(\d{1,3})$/.exec(t);
  if (m) {
    const days = Number(m[1]);
    if (days >= 1 && days <= MAX_REMIND_DAYS) return { kind: 'remind', days };
    throw new UsageError(`--answer remind:N needs N between 1 and ${MAX_REMIND_DAYS} days, not ${m[1]}.`);
  }
  throw new UsageError(`--answer must be now, later, remind:N (days), decline or never, not "${text}".`);
}

export function formatAnswer(a: Answer): string {
  return a.kind === 'remind' ? `remind:${a.days}` : a.kind;
}

/** The configured --answer; without one, an unattended agent treats every question as "later" (the rule). */
export class FixedPrompter implements Prompter {
  constructor(private readonly answer: Answer = { kind: 'later' }) {}
  async ask(_request: PromptRequest): Promise<Answer> {
    return this.answer;
  }
}

/** Answers in order, then repeats the last one; remembers every question (for tests and scripted runs). */
export class ScriptedPrompter implements Prompter {
  readonly asked: PromptRequest[] = [];
  private next = 0;
  constructor(private readonly answers: Answer[]) {
    if (answers.length === 0) throw new Error('ScriptedPrompter needs at least one answer');
  }
  async ask(request: PromptRequest): Promise<Answer> {
    this.asked.push(request);
    const a = this.answers[Math.min(this.next, this.answers.length - 1)];
    this.next++;
    return a;
  }
}

/** A readline question on the terminal. */
export class TerminalPrompter implements Prompter {
  constructor(
    private readonly input: NodeJS.ReadableStream = process.stdin,
    private readonly output: NodeJS.WritableStream = process.stdout,
  ) {}

  async ask(r: PromptRequest): Promise<Answer> {
    const rl = createInterface({ input: this.input, output: this.output, terminal: true });
    try {
      const what = r.phase === 'install' ? `${r.version} is downloaded and ready to install` : `Update ${r.version} is available`;
      const lines = [`${what} (installed: ${r.installedVersion}).${r.mandatory ? ' This update is mandatory.' : ''}`];
      if (r.message) lines.push(r.message);
      const choices: string[] = ['[n]ow', '[l]ater'];
      if (!r.mandatory) {
        for (const d of r.remindOptionsDays) choices.push(`[${d}] remind me in ${d} day${d === 1 ? '' : 's'}`);
        choices.push('[d]ecline', '[never] do not ask me again');
      } else {
        choices.push('[d]ecline (the program shuts down)');
      }
      this.output.write(`${lines.join('\n')}\n${choices.join('  ')}\n`);
      for (;;) {
        const reply = (await rl.question('> ')).trim().toLowerCase();
        const a = interpretReply(reply, r);
        if (a) return a;
        this.output.write('Please answer n, l, d' + (r.mandatory ? '' : ', a number of days or never') + '.\n');
      }
    } finally {
      rl.close();
    }
  }
}

/** What a typed reply means; undefined when it means nothing (ask again). */
export function interpretReply(reply: string, r: Pick<PromptRequest, 'mandatory' | 'remindOptionsDays'>): Answer | undefined {
  if (reply === 'n' || reply === 'now' || reply === 'y' || reply === 'yes') return { kind: 'now' };
  if (reply === 'l' || reply === 'later' || reply === '') return { kind: 'later' };
  if (reply === 'd' || reply === 'decline' || reply === 'no') return { kind: 'decline' };
  if (r.mandatory) return undefined;
  if (reply === 'never') return { kind: 'never' };
  if (/^\d{1,2}$/.test(reply)) {
    const days = Number(reply);
    if (days >= 1 && days <= MAX_REMIND_DAYS) return { kind: 'remind', days };
  }
  return undefined;
}

/** Interactive when a person sits at a terminal, otherwise the --answer (default later). */
export function createPrompter(answer: Answer | undefined, interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY)): Prompter {
  if (answer) return new FixedPrompter(answer);
  return interactive ? new TerminalPrompter() : new FixedPrompter({ kind: 'later' });
}
