// The demo fleet (`--demo`): realistic releases with real packages, groups whose policies cover every seed
// behaviour, and a few hundred clients in every state, including failures with reasons. Deterministic, so a
// demo looks the same each time; only an empty database is filled.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar';
import { decide, stateAfterCheckin, withPolicyDefaults, type Client, type ClientState, type Policy } from '../core';
import { seededRandom } from '../core/prng';
import type { Fleet } from './fleet';
import { DEFAULT_GROUP_ID } from './fleet';

const SYSTEM = { name: 'demo' };

const FIRST = ['anna', 'ben', 'carla', 'david', 'elif', 'felix', 'greta', 'hamid', 'ines', 'jonas', 'katrin', 'lukas', 'maria', 'nils', 'olga', 'paul', 'rita', 'sven', 'tanja', 'uwe', 'vera', 'yusuf'];
const LAST = ['meyer', 'schmidt', 'novak', 'garcia', 'kowalski', 'yilmaz', 'berg', 'fischer', 'rossi', 'larsen', 'weber', 'dubois', 'kaya', 'hansen', 'moreau', 'ivanova'];
const FAILURES = [
  'Checksum mismatch: expected sha256 3f2a9c…e1, got 9b1c44…07 (the download was corrupted).',
  'Disk full: 310 MB needed in C:\\Program Files, 95 MB free.',
  'Permission denied writing C:\\Program Files\\Fleet Client_update_pending (the update service is not running as an administrator).',
  'Download failed: HTTP 503 from the update server after 3 attempts.',
  'Extraction failed: the package is truncated (unexpected end of archive).',
  'Signature invalid: the package was not signed by the configured publisher key.',
];

/** A real .tar.gz with a VERSION file and a program file, as the agent installs it. */
async function packageFor(version: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'uf-demo-pkg-'));
  try {
    await writeFile(join(dir, 'VERSION'), version + '\n');
    await writeFile(join(dir, 'fleet-client.txt'), `Fleet Client ${version}\nThe program files of the demo client.\n`);
    const chunks: Buffer[] = [];
    for await (const c of tar.c({ gzip: true, cwd: dir, portable: true }, ['VERSION', 'fleet-client.txt']) as unknown as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
    return Buffer.concat(chunks);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface DemoGroup {
  name: string;
  prefix: string;
  net: number;
  count: number;
  description: string;
  policy: Partial<Policy>;
  versions: Array<[string, number]>;
}

const GROUPS: DemoGroup[] = [
  {
    name: 'Pilot', prefix: 'PILOT-LT', net: 10, count: 24, description: 'IT and early adopters: auto upgrade, beta channel, forced.',
    policy: { mode: 'auto', channel: 'beta', delivery: 'forced', checkIntervalSeconds: 3600, startupDelaySeconds: 60 },
    versions: [['3.59.127.0', 0.8], ['3.58.0.0', 0.2]],
  },
  {
    name: 'Office', prefix: 'OFF-PC', net: 20, count: 180, description: 'Office desktops: only upgrade to the tested version, users choose when.',
    policy: { mode: 'pinned', pinnedVersion: '3.59.127.0', delivery: 'on-demand', remindOptionsDays: [1, 3, 7] },
    versions: [['3.59.127.0', 0.7], ['3.58.0.0', 0.24], ['1.2.2', 0.06]],
  },
  {
    name: 'Warehouse', prefix: 'WH-PC', net: 30, count: 90, description: 'Scanners and shared PCs: auto upgrade at night only, downgrades allowed.',
    policy: { mode: 'auto', delivery: 'forced', window: { start: '22:00', end: '05:00', timeZone: 'Europe/Berlin' }, allowDowngrade: true, rolloutPercent: 50 },
    versions: [['3.58.0.0', 0.6], ['3.59.127.0', 0.4]],
  },
];

/** Fills an empty fleet; returns what it made, or null when the database already had releases. */
export async function seedDemoFleet(fleet: Fleet): Promise<{ clients: number } | null> {
  if ((await fleet.store.releases.list()).length > 0) return null;
  const rnd = seededRandom(20261125);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

  const releases: Array<{ version: string; channel?: 'stable' | 'beta'; notes: string; mandatory?: boolean; then: Array<'approve' | 'retire'> }> = [
    { version: '1.2.2', notes: 'Legacy client. Cannot upgrade itself: later versions need a manual install.', then: ['approve', 'retire'] },
    { version: '3.58.0.0', notes: 'Spring release.', then: ['approve', 'retire'] },
    { version: '3.59.127.0', notes: 'Security fixes; new sign-in screen.', then: ['approve'] },
    { version: '3.59.228.0', notes: 'Bug fixes for printing and proxy settings. Download, test, and then approve.', then: [] },
    { version: '4.0.0-beta.1', channel: 'beta', notes: 'Major release preview for the Pilot group.', then: [] },
  ];
  for (const r of releases) {
    const view = await fleet.releases.register({ version: r.version, channel: r.channel ?? 'stable', notes: r.notes, mandatory: r.mandatory ?? false }, SYSTEM);
    await fleet.releases.uploadArtifact(view.id, Readable.from([await packageFor(r.version)]), SYSTEM);
    for (const step of r.then) await fleet.releases.lifecycle(view.id, step, SYSTEM, 'demo data');
  }

  // Seed 000: versions later than 1.2.2 can upgrade themselves — fleet-wide, whatever the group.
  await fleet.putFleetSettings({ minimumAutoUpgradeVersion: '1.2.3' }, SYSTEM);
  const releasesNow = await fleet.allReleases();
  const facts = { outcomesByRelease: {}, minimumAutoUpgradeVersion: '1.2.3' };
  const now = new Date();
  const clients: Client[] = [];
  for (const g of GROUPS) {
    const group = await fleet.groups.create({ name: g.name, description: g.description, policy: g.policy }, SYSTEM);
    const policy = withPolicyDefaults(g.policy);
    for (let i = 1; i <= g.count; i++) {
      let r = rnd();
      let version = g.versions[0][0];
      for (const [v, share] of g.versions) { if (r < share) { version = v; break; } r -= share; }
      const first = pick(FIRST);
      const last = pick(LAST);
      const computer = `${g.prefix}-${String(i).padStart(4, '0')}`;
      const id = `demo-${computer.toLowerCase()}`;
      const decision = decide({ id, version }, policy, releasesNow, now, facts);
      const rec = stateAfterCheckin(decision, undefined, undefined);
      let state: ClientState = rec.state;
      let reason = rec.reason;
      let deferredUntil: string | null = null;
      const roll = rnd();
      if (rec.state === 'available' && roll < 0.25) { state = 'failed'; reason = pick(FAILURES); }
      else if (rec.state === 'available' && roll < 0.4) { state = 'deferred'; deferredUntil = new Date(now.getTime() + 3 * 86_400_000).toISOString(); reason = 'The user chose "remind me in 3 days".'; }
      else if (rec.state === 'available' && roll < 0.5) { state = 'downloading'; }
      else if (rec.state === 'available' && roll < 0.55) { state = 'staged'; reason = 'Staged beside the install; swaps at the next restart.'; }
      clients.push({
        id, name: `${first[0].toUpperCase()}${first.slice(1)} ${last[0].toUpperCase()}${last.slice(1)}`, computer,
        ip: `10.${g.net}.${Math.floor(i / 200)}.${(i % 200) + 20}`, user: `${first[0]}.${last}`,
        groupId: group.id, version, state, targetVersion: rec.targetVersion, reason, deferredUntil,
        // Every 40th machine has not checked in for 12 days (off, or gone): "not seen" in the fleet's health.
        lastSeen: new Date(now.getTime() - Math.floor(rnd() * 6 * 3600_000) - (i % 40 === 0 ? 12 * 86_400_000 : 0)).toISOString(),
      });
    }
  }
  // A few unassigned machines in Default (No Upgrade, seed 001's default).
  for (let i = 1; i <= 6; i++) {
    const first = pick(FIRST); const last = pick(LAST);
    const computer = `NEW-PC-${String(i).padStart(4, '0')}`;
    clients.push({
      id: `demo-${computer.toLowerCase()}`, name: `${first} ${last}`, computer, ip: `10.99.0.${i + 10}`, user: `${first[0]}.${last}`,
      groupId: DEFAULT_GROUP_ID, version: '3.58.0.0', state: 'up-to-date', targetVersion: null, reason: 'The group\'s policy is No Upgrade.', deferredUntil: null,
      lastSeen: new Date(now.getTime() - Math.floor(rnd() * 3600_000)).toISOString(),
    });
  }
  await fleet.store.insertClients(clients);
  return { clients: clients.length };
}
