// Table-driven: the state the server records after a check-in (DESIGN.md "Client": upgrade state per client).
import assert from 'node:assert/strict';
import { stateAfterCheckin } from '../../src/core/clientState';
import type { Client, ClientState, Decision, Release } from '../../src/core/types';

const rel = (version: string): Release => ({
  id: 'r-' + version, version, channel: 'stable', notes: '', mandatory: false, artifact: {}, state: 'approved',
  createdAt: '2026-01-01T00:00:00Z', createdBy: 't', transitions: [],
});
const prev = (state: ClientState, targetVersion: string | null, reason: string | null = null): Pick<Client, 'state' | 'targetVersion' | 'reason'> => ({ state, targetVersion, reason });

describe('stateAfterCheckin (seed 000 status per version, seed 001 per-client upgrade status)', () => {
  const cases: Array<{ name: string; d: Decision; reported?: ClientState; previous?: ReturnType<typeof prev>; want: { state: ClientState; targetVersion: string | null; reason: string | null } }> = [
    { name: 'on the target: up-to-date, no reason', d: { action: 'none', release: rel('2.0.0'), reason: 'up-to-date', message: 'Already on 2.0.0.' }, want: { state: 'up-to-date', targetVersion: '2.0.0', reason: null } },
    { name: 'offer: available with the message', d: { action: 'offer', release: rel('2.0.0'), reason: 'upgrade-available', message: 'm' }, want: { state: 'available', targetVersion: '2.0.0', reason: 'm' } },
    { name: 'agent downloading the same target keeps downloading', d: { action: 'force', release: rel('2.0.0'), reason: 'mandatory-release', message: 'm' }, reported: 'downloading', previous: prev('downloading', '2.0.0'), want: { state: 'downloading', targetVersion: '2.0.0', reason: null } },
    { name: 'a failure for the same target stays failed with its reason', d: { action: 'offer', release: rel('2.0.0'), reason: 'upgrade-available', message: 'm' }, reported: 'failed', previous: prev('failed', '2.0.0', 'Checksum mismatch'), want: { state: 'failed', targetVersion: '2.0.0', reason: 'Checksum mismatch' } },
    { name: 'a failure for an older target: a new target is available', d: { action: 'offer', release: rel('3.0.0'), reason: 'upgrade-available', message: 'm' }, reported: 'failed', previous: prev('failed', '2.0.0', 'x'), want: { state: 'available', targetVersion: '3.0.0', reason: 'm' } },
    { name: 'manual install (seed 000 minimum version)', d: { action: 'manual', release: rel('2.0.0'), reason: 'manual-install-required', message: 'by hand' }, want: { state: 'manual-required', targetVersion: '2.0.0', reason: 'by hand' } },
    { name: 'deferred until (seed 000 remind me)', d: { action: 'none', release: rel('2.0.0'), reason: 'deferred-until', message: 'later', notBefore: '2026-01-02T00:00:00Z' }, want: { state: 'deferred', targetVersion: '2.0.0', reason: 'later' } },
    { name: 'outside the window (seed 001): waiting, with the window as the reason', d: { action: 'none', release: rel('2.0.0'), reason: 'outside-window', message: 'w' }, want: { state: 'waiting', targetVersion: '2.0.0', reason: 'w' } },
    { name: 'not in the rollout yet: waiting, never up-to-date', d: { action: 'none', release: rel('2.0.0'), reason: 'not-in-rollout', message: 'r' }, want: { state: 'waiting', targetVersion: '2.0.0', reason: 'r' } },
    { name: 'a halted rollout: waiting', d: { action: 'none', release: rel('2.0.0'), reason: 'rollout-halted', message: 'h' }, want: { state: 'waiting', targetVersion: '2.0.0', reason: 'h' } },
    { name: 'policy no upgrade (seed 001): nothing to do', d: { action: 'none', reason: 'policy-no-upgrade', message: 'No Upgrade' }, want: { state: 'up-to-date', targetVersion: null, reason: 'No Upgrade' } },
    { name: 'an old failure stays visible under no upgrade', d: { action: 'none', reason: 'policy-no-upgrade', message: 'No Upgrade' }, reported: 'failed', previous: prev('failed', '2.0.0', 'Disk full'), want: { state: 'failed', targetVersion: '2.0.0', reason: 'Disk full' } },
    { name: 'a version the server cannot read', d: { action: 'none', reason: 'invalid-client-version', message: 'bad' }, want: { state: 'unknown', targetVersion: null, reason: 'bad' } },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(stateAfterCheckin(c.d, c.reported, c.previous), c.want));
  }
});
