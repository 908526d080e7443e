// Asking the user about an update (seeds 000 and 003): install now, later, remind me in N days, decline, or
// "do not ask me again". A terminal prompt when a person is there; otherwise the configured --answer.
import { createInterface } from 'node:readline/promises';
import { DEFAULT_REMIND_OPTIONS_DAYS, type UpdateAnswer } from '../core/agentRules';
import { desktopPrompter } from './desktop';
import { UsageError } from './errors';
import type { PromptRequest } from '../core/serviceWire';

/** The answer's rules live in src/core/agentRules.ts. */
export type Answer = UpdateAnswer;

export type { PromptRequest };

/**
 * The one interface through which the user is asked and told things in their session: the terminal, a desktop
 * dialog (zenity / notify-send, src/agent/desktop.ts), or a fixed --answer for unattended machines.
 */
export interface Prompter {
  /** An aborted question (the program exited meanwhile) is answered "later". */
  ask(request: PromptRequest, signal?: AbortSignal): Promise<Answer>;
  /** Tell the user something they must know (e.g. why the program is being shut down). Best effort. */
  tell?(message: string): Promise<void>;
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

  async tell(message: string): Promise<void> {
    this.output.write(`\n*** ${message}\n`);
  }

  async ask(r: PromptRequest, signal?: AbortSignal): Promise<Answer> {
    if (signal?.aborted) return { kind: 'later' };
    const rl = createInterface({ input: this.input, output: this.output, terminal: true });
    try {
      const what = r.phase === 'install' ? `${r.version} is downloaded and ready to install` : `Update ${r.version} is available`;
      const lines = [`${what} (installed: ${r.installedVersion}).${r.mandatory ? ' This update is mandatory.' : ''}`];
      if (r.message) lines.push(r.message);
      const choices: string[] = ['[n]ow', '[l]ater'];
      if (!r.mandatory) {
        for (const d of r.remindOptionsDays.length > 0 ? r.remindOptionsDays : DEFAULT_REMIND_OPTIONS_DAYS) choices.push(`[${d}] remind me in ${d} day${d === 1 ? '' : 's'}`);
        choices.push('[d]ecline', '[never] do not ask me again');
      } else {
        choices.push('[d]ecline (the program shuts down)');
      }
      this.output.write(`${lines.join('\n')}\n${choices.join('  ')}\n`);
      for (;;) {
        let reply: string;
        try {
          reply = (await rl.question('> ', signal ? { signal } : {})).trim().toLowerCase();
        } catch (e) {
          if (signal?.aborted) return { kind: 'later' };
          throw e;
        }
        const a = interpretReply(reply, r);
        if (a) return a;
        this.output.write('Please answer n, l, d' + (r.mandatory ? '' : ', one of the offered numbers of days, or never') + '.\n');
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
    // Only the choices the policy offers (seed 000: 1, 3, 7).
    const days = Number(reply);
    const offered = r.remindOptionsDays.length > 0 ? r.remindOptionsDays : DEFAULT_REMIND_OPTIONS_DAYS;
    if (offered.includes(days)) return { kind: 'remind', days };
  }
  return undefined;
}

/**
 * A given --answer wins; else the terminal when a person sits at one; else a desktop dialog when the session has
 * one (zenity); else "later". Messages also go to the desktop's notifications where notify-send exists.
 */
export function createPrompter(
  answer: Answer | undefined,
  interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY),
  desktop: Prompter | undefined = desktopPrompter(),
): Prompter {
  let p: Prompter;
  if (answer) p = new FixedPrompter(answer);
  else if (interactive) p = new TerminalPrompter();
  else p = desktop ?? new FixedPrompter({ kind: 'later' });
  if (!desktop?.tell || p === desktop) return p;
  const base = p;
  return {
    ask: (r, s) => base.ask(r, s),
    tell: async (m) => {
      await base.tell?.(m);
      await desktop.tell?.(m);
    },
  };
}

/** Every choice a request offers, as (answer, words) pairs: the terminal shows letters, a dialog shows the words. */
export function choicesFor(r: Pick<PromptRequest, 'mandatory' | 'remindOptionsDays'>): Array<{ answer: Answer; label: string }> {
  const out: Array<{ answer: Answer; label: string }> = [
    { answer: { kind: 'now' }, label: 'Install now' },
    { answer: { kind: 'later' }, label: 'Install later' },
  ];
  if (r.mandatory) {
    out.push({ answer: { kind: 'decline' }, label: 'Decline (the program shuts down)' });
    return out;
  }
  for (const d of r.remindOptionsDays.length > 0 ? r.remindOptionsDays : DEFAULT_REMIND_OPTIONS_DAYS) {
    out.push({ answer: { kind: 'remind', days: d }, label: `Remind me in ${d} day${d === 1 ? '' : 's'}` });
  }
  out.push({ answer: { kind: 'decline' }, label: 'Decline' }, { answer: { kind: 'never' }, label: 'Do not ask me again' });
  return out;
}
