// Where the agent's messages go: the terminal (or the journal of a service manager), or a list in tests.
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Messages go to stdout, or all to stderr when stdout carries data (status --json). */
export function consoleLogger(opts: { timestamps?: boolean; infoToStderr?: boolean } = {}): Logger {
  const stamp = () => (opts.timestamps ? `${new Date().toISOString()} ` : '');
  const info = opts.infoToStderr ? process.stderr : process.stdout;
  return {
    info: (m) => info.write(`${stamp()}${m}\n`),
    warn: (m) => process.stderr.write(`${stamp()}warning: ${m}\n`),
    error: (m) => process.stderr.write(`${stamp()}error: ${m}\n`),
  };
}

/** Keeps every line; tests read them back. */
export class MemoryLogger implements Logger {
  readonly lines: { level: 'info' | 'warn' | 'error'; message: string }[] = [];
  info(message: string): void {
    this.lines.push({ level: 'info', message });
  }
  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }
  error(message: string): void {
    this.lines.push({ level: 'error', message });
  }
  text(): string {
    return this.lines.map((l) => `${l.level}: ${l.message}`).join('\n');
  }
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
