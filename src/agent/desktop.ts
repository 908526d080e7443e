// The question in the user's graphical session, best effort: a zenity dialog to answer, notify-send for messages.
// Only used when the session has a display and the tool is installed; everything else falls back to the terminal
// or the configured --answer (src/agent/prompter.ts).
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { choicesFor, type Answer, type PromptRequest, type Prompter } from './prompter';

/** The full path of an executable on PATH, or undefined. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

function run(cmd: string, args: string[], signal?: AbortSignal): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'], signal });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', () => resolve({ code: null, stdout: '' }));
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

export class DesktopPrompter implements Prompter {
  constructor(private readonly zenity: string | undefined, private readonly notifySend: string | undefined) {}

  async ask(r: PromptRequest, signal?: AbortSignal): Promise<Answer> {
    if (!this.zenity || signal?.aborted) return { kind: 'later' };
    const choices = choicesFor(r);
    const what = r.phase === 'install' ? `${r.version} is downloaded and ready to install` : `Update ${r.version} is available`;
    const text = `${what} (installed: ${r.installedVersion}).${r.mandatory ? ' This update is mandatory.' : ''}${r.message ? `\n${r.message}` : ''}`;
    const res = await run(this.zenity, ['--list', '--title=Update', `--text=${text}`, '--column=Choice', ...choices.map((c) => c.label)], signal);
    const picked = choices.find((c) => c.label === res.stdout.trim());
    // Closing the dialog is "later", never a refusal.
    return picked?.answer ?? { kind: 'later' };
  }

  async tell(message: string): Promise<void> {
    if (this.notifySend) await run(this.notifySend, ['--urgency=critical', 'Update', message]);
  }
}

/** A desktop prompter when the session has a display and zenity or notify-send is installed. */
export function desktopPrompter(env: NodeJS.ProcessEnv = process.env): Prompter | undefined {
  if (process.platform === 'win32' || (!env.DISPLAY && !env.WAYLAND_DISPLAY)) return undefined;
  const zenity = onPath('zenity', env);
  const notify = onPath('notify-send', env);
  if (!zenity && !notify) return undefined;
  return new DesktopPrompter(zenity, notify);
}
