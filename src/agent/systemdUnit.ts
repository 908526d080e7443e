// The systemd unit of the privileged update service (seed 002's "update service" with system privileges), written by
// `update-fleet-agent install-service`; packaging/systemd/update-fleet-agent.service is this text for the usual paths.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';

export const UNIT_NAME = 'update-fleet-agent.service';

export function serviceUnit(command: readonly string[], configFile: string): string {
  const quote = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/(["\\])/g, '\\$1')}"`);
  return `[Unit]
Description=Update Fleet update service (owns the install: checks, downloads, stages, swaps when the program has exited)
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User=root
ExecStart=${[...command, 'service', '--config', configFile].map(quote).join(' ')}
# The socket's folder for the user's side (launch --via-service). Anyone may connect: the service checks each
# peer (SO_PEERCRED) against --allow-user and --socket-group and tells a refused user why.
RuntimeDirectory=update-fleet-agent
RuntimeDirectoryMode=0755
Restart=on-failure
RestartSec=60

[Install]
WantedBy=multi-user.target
`;
}

/** Write the unit; returns its path. Enabling it is left to the administrator (systemctl), who sees the command. */
export async function installServiceUnit(dir: string, command: readonly string[], configFile: string): Promise<string> {
  await fsp.mkdir(dir, { recursive: true });
  const file = join(dir, UNIT_NAME);
  await fsp.writeFile(file, serviceUnit(command, configFile), { mode: 0o644 });
  return file;
}
