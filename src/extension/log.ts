// The "Update Fleet" output channel: details of what went wrong, never a token.
import * as vscode from 'vscode';

export type Log = Pick<vscode.LogOutputChannel, 'info' | 'warn' | 'error' | 'debug' | 'trace' | 'show'>;

const TOKENISH = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/g;

/** Strip anything that looks like a bearer token before it reaches the log. */
export function redact(text: string): string {
  return text.replace(TOKENISH, '$1***');
}

export function createLog(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel('Update Fleet', { log: true });
}
