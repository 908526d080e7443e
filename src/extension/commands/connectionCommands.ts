// Connect to Server…, Sign In…, Sign Out.
import { describe } from '../connection';
import { FleetApiError } from '../fleetClient';
import type { FleetServices } from '../services';
import { validateServerUrl } from '../validation';

export async function connect(svc: FleetServices, url?: string): Promise<boolean> {
  const value =
    typeof url === 'string'
      ? url
      : await svc.ui.input({
          title: 'Connect to Fleet Server',
          prompt: 'The address of the Update Fleet server',
          value: svc.connection.serverUrl() ?? 'http://127.0.0.1:8080',
          validate: validateServerUrl,
        });
  if (value === undefined) return false;
  const problem = validateServerUrl(value);
  if (problem) throw new FleetApiError(0, 'bad-url', problem);
  const state = await svc.ui.progress('Connecting to the fleet server…', () => svc.connection.setServerUrl(value).then(() => svc.connection.refresh()));
  if (state.kind === 'unreachable') throw new FleetApiError(0, 'unreachable', state.message);
  if (state.kind === 'signed-out') {
    const choice = await svc.ui.error(`Connected to ${state.url}. Sign in to manage the fleet.`, 'Sign In…');
    if (choice === 'Sign In…') return signIn(svc);
    return true;
  }
  svc.ui.info(`Update Fleet: ${describe(state)}.`);
  return true;
}

export async function signIn(svc: FleetServices, token?: string): Promise<boolean> {
  if (!svc.connection.serverUrl()) {
    const ok = await connect(svc);
    if (!ok || svc.connection.state.kind === 'signed-in') return ok;
  }
  const value =
    typeof token === 'string'
      ? token
      : await svc.ui.input({
          title: 'Sign In to Fleet Server',
          prompt: `An API token for ${svc.connection.serverUrl()} (kept in VS Code's secret storage)`,
          password: true,
          validate: (v) => (v.trim() === '' ? 'Paste the token' : undefined),
        });
  if (!value) return false;
  await svc.ui.progress('Signing in…', () => svc.connection.signIn(value));
  svc.ui.info(`Update Fleet: signed in to ${svc.connection.serverUrl()}.`);
  return true;
}

export async function signOut(svc: FleetServices): Promise<void> {
  await svc.connection.signOut();
  svc.ui.info('Update Fleet: signed out. The token was removed from secret storage.');
}
