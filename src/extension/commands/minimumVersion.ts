// Set Minimum Auto-Upgrade Version… (admin): seed 000's "versions later than 1.2.2 can upgrade themselves", a
// property of the client's version, fleet-wide. Clients below it get "manual install required" in every group.
import type { FleetSettings } from '../../core/wire';
import { validateVersionInput } from '../releaseText';
import { requireRole, type FleetServices } from '../services';

export async function setMinimumVersion(svc: FleetServices, value?: string): Promise<FleetSettings | undefined> {
  const client = requireRole(svc, 'admin', 'Setting the minimum auto-upgrade version');
  const current = await client.settings();
  const answer = value ?? (await svc.ui.input({
    title: 'Minimum Auto-Upgrade Version (whole fleet)',
    prompt: `Clients below this version cannot upgrade themselves and need a manual install, in every group. Empty: every version can. Now: ${current.minimumAutoUpgradeVersion ?? 'none'}.`,
    value: current.minimumAutoUpgradeVersion ?? '',
    placeHolder: 'e.g. 1.2.3 (versions later than 1.2.2)',
    validate: (v) => (v.trim() === '' ? undefined : validateVersionInput(v)),
  }));
  if (answer === undefined) return undefined;
  const saved = await client.putSettings({ minimumAutoUpgradeVersion: answer.trim() || null });
  svc.ui.info(saved.minimumAutoUpgradeVersion
    ? `Clients below ${saved.minimumAutoUpgradeVersion} now need a manual install, in every group.`
    : 'Every client version may now upgrade itself.');
  return saved;
}
