import assert from 'node:assert/strict';
import { DEFAULT_POLICY, isInWindow, nextWindowStart, validatePolicy, withPolicyDefaults, type Policy } from '../../src/core';

describe('core/policy validation', () => {
  it('seed 001: the default is "No Upgrade"; seed 002: first check after 5 minutes, daily; seed 000: remind 1, 3, 7 days', () => {
    assert.equal(DEFAULT_POLICY.mode, 'none');
    assert.equal(DEFAULT_POLICY.startupDelaySeconds, 300);
    assert.equal(DEFAULT_POLICY.checkIntervalSeconds, 86_400);
    assert.deepEqual(DEFAULT_POLICY.remindOptionsDays, [1, 3, 7]);
    assert.equal(validatePolicy(withPolicyDefaults({})).ok, true);
  });

  const bad: Array<[string, Partial<Record<keyof Policy, unknown>> | Record<string, unknown>, string, RegExp]> = [
    ['unknown mode', { mode: 'sometimes' }, 'mode', /No Upgrade/],
    ['pinned without a version', { mode: 'pinned', pinnedVersion: '' }, 'pinnedVersion', /needs a version/],
    ['pinned to a non-version', { mode: 'pinned', pinnedVersion: '3.x' }, 'pinnedVersion', /not a valid version/],
    ['on-demand without reminder choices', { remindOptionsDays: [] }, 'remindOptionsDays', /at least one/],
    ['reminder of 0 days', { remindOptionsDays: [0, 3] }, 'remindOptionsDays', /between 1 and 90/],
    ['repeated reminder', { remindOptionsDays: [3, 3] }, 'remindOptionsDays', /repeat/],
    ['window with a bad time', { window: { start: '25:00', end: '06:00', timeZone: 'UTC' } }, 'window.start', /HH:MM/],
    ['window with start = end', { window: { start: '06:00', end: '06:00', timeZone: 'UTC' } }, 'window.end', /differ/],
    ['window with an unknown time zone', { window: { start: '22:00', end: '06:00', timeZone: 'Mars/Olympus' } }, 'window.timeZone', /IANA/],
    ['check interval under a minute', { checkIntervalSeconds: 5 }, 'checkIntervalSeconds', /between 60/],
    ['fractional start-up delay', { startupDelaySeconds: 1.5 }, 'startupDelaySeconds', /whole seconds/],
    ['rollout above 100', { rolloutPercent: 150 }, 'rolloutPercent', /0 to 100/],
    ['threshold not a number', { failureThresholdPercent: '20' }, 'failureThresholdPercent', /0 to 100/],
    ['a minimum auto-upgrade version (fleet-wide now, seed 000)', { minimumAutoUpgradeVersion: '1.2.3' }, 'minimumAutoUpgradeVersion', /fleet-wide setting/],
    ['unknown field', { colour: 'blue' }, 'policy', /Unknown policy field "colour"/],
  ];
  for (const [what, patch, field, msg] of bad) {
    it(`refuses ${what} with a message on ${field}`, () => {
      const r = validatePolicy({ ...withPolicyDefaults({}), ...patch });
      assert.equal(r.ok, false);
      if (!r.ok) {
        const e = r.errors.find((x) => x.field === field);
        assert.ok(e, `an error on ${field}: ${JSON.stringify(r.errors)}`);
        assert.match(e.message, msg);
      }
    });
  }
  it('refuses a non-object', () => assert.equal(validatePolicy('auto').ok, false));
  it('reports every problem at once', () => {
    const r = validatePolicy({ ...withPolicyDefaults({}), mode: 'x', rolloutPercent: -1, checkIntervalSeconds: 0 });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.errors.length, 3);
  });
  it('normalises: sorted reminders, null pinned version outside pinned mode, trimmed versions', () => {
    const r = validatePolicy({ ...withPolicyDefaults({}), mode: 'auto', pinnedVersion: '1.0.0', remindOptionsDays: [7, 1, 3], minimumAutoUpgradeVersion: null });
    assert.ok(r.ok);
    if (r.ok) {
      assert.deepEqual(r.policy.remindOptionsDays, [1, 3, 7]);
      assert.equal(r.policy.pinnedVersion, null);
      assert.equal('minimumAutoUpgradeVersion' in r.policy, false, 'an empty minimum from an older console is dropped');
    }
  });
});

describe('core/policy distribution window (seed 001: distribution time range)', () => {
  const table: Array<[string, string, string, string, boolean]> = [
    ['09:00', '17:00', 'UTC', '2026-11-24T12:00:00Z', true],
    ['09:00', '17:00', 'UTC', '2026-11-24T17:00:00Z', false],
    ['09:00', '17:00', 'UTC', '2026-11-24T09:00:00Z', true],
    ['22:00', '06:00', 'UTC', '2026-11-24T23:59:00Z', true],
    ['22:00', '06:00', 'UTC', '2026-11-24T05:59:00Z', true],
    ['22:00', '06:00', 'UTC', '2026-11-24T06:00:00Z', false],
    ['22:00', '06:00', 'America/New_York', '2026-11-25T03:30:00Z', true], // 22:30 in New York
    ['22:00', '06:00', 'Asia/Tokyo', '2026-11-24T12:00:00Z', false], // 21:00 in Tokyo
  ];
  for (const [start, end, tz, at, want] of table) {
    it(`${start}–${end} ${tz} at ${at}: ${want ? 'open' : 'closed'}`, () => {
      assert.equal(isInWindow({ start, end, timeZone: tz }, new Date(at)), want);
    });
  }
  it('no window means any time', () => assert.equal(isInWindow(null, new Date()), true));
  it('next start is later today or tomorrow, in the window\'s zone', () => {
    assert.equal(nextWindowStart({ start: '22:00', end: '06:00', timeZone: 'UTC' }, new Date('2026-11-24T12:00:00Z')).toISOString(), '2026-11-24T22:00:00.000Z');
    assert.equal(nextWindowStart({ start: '02:00', end: '04:00', timeZone: 'UTC' }, new Date('2026-11-24T12:00:00Z')).toISOString(), '2026-11-25T02:00:00.000Z');
    assert.equal(nextWindowStart({ start: '22:00', end: '06:00', timeZone: 'Europe/Berlin' }, new Date('2026-11-24T12:00:00Z')).toISOString(), '2026-11-24T21:00:00.000Z');
  });
  it('next start across a DST change lands on the local start time', () => {
    // Europe/Berlin leaves summer time on 2026-10-25 at 03:00 local.
    const next = nextWindowStart({ start: '22:00', end: '23:00', timeZone: 'Europe/Berlin' }, new Date('2026-10-24T21:00:00Z'));
    assert.equal(next.toISOString(), '2026-10-25T21:00:00.000Z');
  });
});
