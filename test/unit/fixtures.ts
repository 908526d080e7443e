import type { FleetFacts, Policy, Release, ReleaseState } from '../../src/core';
import { DEFAULT_POLICY } from '../../src/core';

export function release(version: string, state: ReleaseState = 'pending', extra: Partial<Release> = {}): Release {
  return {
    id: `rel-${version}`, version, channel: /-/.test(version) ? 'beta' : 'stable', notes: '', mandatory: false,
    artifact: { url: `http://x/agent/v1/artifacts/${version}`, sha256: 'a'.repeat(64), size: 10 },
    state, createdAt: '2026-01-01T00:00:00.000Z', createdBy: 'admin', transitions: [{ from: null, to: state, by: 'admin', at: '2026-01-01T00:00:00.000Z' }],
    ...extra,
  };
}


export function policy(p: Partial<Policy> = {}): Policy {
  return { ...DEFAULT_POLICY, remindOptionsDays: [1, 3, 7], ...p };
}

export const noFacts: FleetFacts = { outcomesByRelease: {} };
