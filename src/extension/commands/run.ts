// One wrapper for every command: server errors become a clear message (with "Show Log"), details go to the log.
import * as vscode from 'vscode';
import { FleetApiError } from '../fleetClient';
import { redact } from '../log';
import type { FleetServices } from '../services';

export async function reportError(svc: FleetServices, what: string, err: unknown): Promise<void> {
  const e = err instanceof FleetApiError ? err : new FleetApiError(0, 'error', err instanceof Error ? err.message : String(err));
  svc.log.error(redact(`${what} failed: [${e.status || '-'} ${e.code}] ${e.message}`));
  if (!(err instanceof FleetApiError) && err instanceof Error && err.stack) svc.log.debug(redact(err.stack));
  const choice = await svc.ui.error(`${what}: ${e.message}`, 'Show Log');
  if (choice === 'Show Log') svc.log.show(true);
}

export function register<A extends unknown[], R>(
  svc: FleetServices,
  id: string,
  title: string,
  fn: (...args: A) => Promise<R>,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: A): Promise<R | undefined> => {
    try {
      return await fn(...args);
    } catch (err) {
      await reportError(svc, title, err);
      return undefined;
    }
  });
}
