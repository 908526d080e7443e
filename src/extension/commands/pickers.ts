// Resolve what a command acts on: the tree item it was invoked on, an id passed by code, or a quick pick.
import type { Client, ReleaseState } from '../../core/types';
import type { GroupView, ReleaseView } from '../../core/wire';
import { CLIENT_STATE_LABEL, RELEASE_STATE_LABEL, plural, sortReleasesNewestFirst } from '../presentation';
import { requireClient, type FleetServices } from '../services';
import type { PickItem } from '../ui';

/** A release from a tree item ({release}), a release id / version string, or a quick pick over `states`. */
export async function resolveRelease(svc: FleetServices, arg: unknown, states: readonly ReleaseState[], title: string): Promise<ReleaseView | undefined> {
  const client = requireClient(svc);
  const fromItem = (arg as { release?: ReleaseView } | undefined)?.release;
  if (fromItem) return fromItem;
  const releases = await client.releases();
  if (typeof arg === 'string' || (typeof arg === 'object' && arg !== null && typeof (arg as { releaseId?: string }).releaseId === 'string')) {
    const ref = typeof arg === 'string' ? arg : (arg as { releaseId: string }).releaseId;
    const found = releases.find((r) => r.id === ref || r.version === ref);
    if (!found) throw new Error(`No release "${ref}" on the server.`);
    return found;
  }
  const candidates = sortReleasesNewestFirst(releases.filter((r) => states.includes(r.state)));
  if (candidates.length === 0) {
    svc.ui.info(`No release is ${states.map((s) => RELEASE_STATE_LABEL[s].toLowerCase()).join(' or ')}.`);
    return undefined;
  }
  const items: PickItem<ReleaseView>[] = candidates.map((r) => ({
    label: r.version,
    description: `${r.channel === 'beta' ? 'beta · ' : ''}${RELEASE_STATE_LABEL[r.state]}`,
    detail: `${plural(r.clientCount ?? 0, 'client')}${r.notes ? ` — ${r.notes}` : ''}`,
    value: r,
  }));
  return svc.ui.pick(items, { title, placeHolder: 'Pick a release' });
}

export async function resolveGroup(svc: FleetServices, arg: unknown, title: string, exclude?: string): Promise<GroupView | undefined> {
  const client = requireClient(svc);
  const fromItem = (arg as { group?: GroupView } | undefined)?.group;
  if (fromItem) return fromItem;
  const groups = await client.groups();
  if (typeof arg === 'string') {
    const g = groups.find((x) => x.id === arg || x.name === arg);
    if (!g) throw new Error(`No group "${arg}" on the server.`);
    return g;
  }
  const items = groups
    .filter((g) => g.id !== exclude)
    .map((g) => ({ label: g.name, description: plural(g.clientCount ?? 0, 'client'), detail: g.description || undefined, value: g }));
  if (items.length === 0) {
    svc.ui.info('There is no other group.');
    return undefined;
  }
  return svc.ui.pick(items, { title, placeHolder: 'Pick a group' });
}

/** A client from a tree item ({client}), an id, or a keyword search then a quick pick. */
export async function resolveClient(svc: FleetServices, arg: unknown, title: string): Promise<Client | undefined> {
  const client = requireClient(svc);
  const fromItem = (arg as { client?: Client } | undefined)?.client;
  if (fromItem) return fromItem;
  if (typeof arg === 'string') return client.client(arg);
  const q = await svc.ui.input({ title, prompt: 'Search clients by name, computer, IP or last user (no wildcards)', placeHolder: 'e.g. WS-0042 or 10.0.3.17' });
  if (q === undefined) return undefined;
  const page = await client.clients({ q: q.trim(), limit: 50 });
  if (page.items.length === 0) {
    svc.ui.info(`No client matches "${q}".`);
    return undefined;
  }
  const items = page.items.map((c) => ({
    label: c.name,
    description: `${c.computer} · ${c.ip}`,
    detail: `${c.version} · ${CLIENT_STATE_LABEL[c.state] ?? c.state} · ${c.user || 'no user'}`,
    value: c,
  }));
  return svc.ui.pick(items, { title, placeHolder: 'Pick a client' });
}
