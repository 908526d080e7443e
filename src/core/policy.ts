// A group's update policy: validation with messages a person can act on, and the distribution window.
import type { DistributionWindow, Policy, RingRule } from './types';
import { RING_LIMITS } from './rings';
import { isValidVersion } from './version';

/** Seed 001: "By default, clients do not upgrade automatically". Seed 002: first check 5 minutes after start, daily. */
export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({
  mode: 'none',
  pinnedVersion: null,
  channel: 'stable',
  delivery: 'on-demand',
  remindOptionsDays: [1, 3, 7],
  window: null,
  allowDowngrade: false,
  checkIntervalSeconds: 86_400,
  startupDelaySeconds: 300,
  rolloutPercent: 100,
  failureThresholdPercent: 20,
  ring: null,
}) as Readonly<Policy>;

export const POLICY_LIMITS = {
  checkIntervalSeconds: { min: 60, max: 30 * 86_400 },
  startupDelaySeconds: { min: 0, max: 86_400 },
  remindDays: { min: 1, max: 90, maxChoices: 5 },
} as const;

export interface PolicyFieldError {
  field: keyof Policy | `window.${keyof DistributionWindow}` | `ring.${keyof RingRule}` | 'policy' | 'minimumAutoUpgradeVersion';
  message: string;
}

export type PolicyValidation = { ok: true; policy: Policy } | { ok: false; errors: PolicyFieldError[] };

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function isValidTimeZone(tz: string): boolean {
  if (typeof tz !== 'string' || tz === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Fill the fields a caller left out with the defaults (used when a group is created with a partial policy). */
export function withPolicyDefaults(partial: Partial<Policy> | undefined): Policy {
  return { ...DEFAULT_POLICY, remindOptionsDays: [...DEFAULT_POLICY.remindOptionsDays], ...(partial ?? {}) };
}

function isInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n);
}

/** Checks every field; returns all problems at once so a form can mark each field. */
export function validatePolicy(input: unknown): PolicyValidation {
  const errors: PolicyFieldError[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ field: 'policy', message: 'The policy must be an object.' }] };
  }
  const p = input as Record<string, unknown>;
  const err = (field: PolicyFieldError['field'], message: string) => errors.push({ field, message });

  if (!['none', 'auto', 'pinned'].includes(p.mode as string)) {
    err('mode', 'Choose "none" (No Upgrade), "auto" (Auto Upgrade) or "pinned" (Only upgrade to a version).');
  }
  const pinned = p.pinnedVersion;
  if (p.mode === 'pinned') {
    if (typeof pinned !== 'string' || pinned.trim() === '') err('pinnedVersion', 'Pick the version to upgrade to: "Only upgrade to" needs a version.');
    else if (!isValidVersion(pinned)) err('pinnedVersion', `"${pinned}" is not a valid version.`);
  } else if (pinned !== undefined && pinned !== null && (typeof pinned !== 'string' || (pinned !== '' && !isValidVersion(pinned)))) {
    err('pinnedVersion', 'The pinned version is not a valid version.');
  }
  if (!['stable', 'beta'].includes(p.channel as string)) err('channel', 'Channel must be "stable" or "beta".');
  if (!['forced', 'on-demand'].includes(p.delivery as string)) err('delivery', 'Delivery must be "forced" or "on-demand".');

  const days = p.remindOptionsDays;
  const { min: dMin, max: dMax, maxChoices } = POLICY_LIMITS.remindDays;
  if (!Array.isArray(days) || !days.every(isInt)) {
    err('remindOptionsDays', 'Reminder choices must be a list of whole days, e.g. 1, 3, 7.');
  } else if (p.delivery === 'on-demand' && days.length === 0) {
    err('remindOptionsDays', 'On-demand delivery needs at least one "remind me in N days" choice.');
  } else if (days.length > maxChoices) {
    err('remindOptionsDays', `At most ${maxChoices} reminder choices.`);
  } else if (days.some((d) => d < dMin || d > dMax)) {
    err('remindOptionsDays', `Each reminder must be between ${dMin} and ${dMax} days.`);
  } else if (new Set(days).size !== days.length) {
    err('remindOptionsDays', 'Reminder choices must not repeat.');
  }

  const w = p.window;
  if (w !== null && w !== undefined) {
    if (typeof w !== 'object' || Array.isArray(w)) {
      err('window', 'The distribution window must have a start, an end and a time zone, or be empty for any time.');
    } else {
      const win = w as Record<string, unknown>;
      if (typeof win.start !== 'string' || !HHMM.test(win.start)) err('window.start', 'Window start must be a time like 22:00 (24-hour HH:MM).');
      if (typeof win.end !== 'string' || !HHMM.test(win.end)) err('window.end', 'Window end must be a time like 06:00 (24-hour HH:MM).');
      if (win.start === win.end && typeof win.start === 'string') err('window.end', 'Window start and end must differ; leave the window empty to distribute at any time.');
      if (typeof win.timeZone !== 'string' || !isValidTimeZone(win.timeZone)) {
        err('window.timeZone', `"${String(win.timeZone ?? '')}" is not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York).`);
      }
    }
  }
  if (typeof p.allowDowngrade !== 'boolean') err('allowDowngrade', 'Allow downgrade must be true or false.');

  const ci = POLICY_LIMITS.checkIntervalSeconds;
  if (!isInt(p.checkIntervalSeconds) || p.checkIntervalSeconds < ci.min || p.checkIntervalSeconds > ci.max) {
    err('checkIntervalSeconds', `Check interval must be whole seconds between ${ci.min} (1 minute) and ${ci.max} (30 days).`);
  }
  const sd = POLICY_LIMITS.startupDelaySeconds;
  if (!isInt(p.startupDelaySeconds) || p.startupDelaySeconds < sd.min || p.startupDelaySeconds > sd.max) {
    err('startupDelaySeconds', `Start-up delay must be whole seconds between ${sd.min} and ${sd.max} (1 day).`);
  }
  // Seed 000's minimum is a property of the client's version, fleet-wide: a policy that still sends one is told where
  // it went (an empty value, as older consoles send, is let through).
  const minV = (p as Record<string, unknown>).minimumAutoUpgradeVersion;
  if (minV !== undefined && minV !== null && minV !== '') {
    err('minimumAutoUpgradeVersion', 'The minimum auto-upgrade version is a fleet-wide setting, not a group\'s: set it with "Set Minimum Auto-Upgrade Version…" (PUT /api/v1/settings).');
  }
  for (const f of ['rolloutPercent', 'failureThresholdPercent'] as const) {
    const v = p[f];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 100) {
      err(f, `${f === 'rolloutPercent' ? 'Rollout' : 'Failure threshold'} must be a percentage from 0 to 100.`);
    }
  }
  const ring = validateRing(p.ring, err);
  const known = new Set([...Object.keys(DEFAULT_POLICY), 'minimumAutoUpgradeVersion']);
  for (const k of Object.keys(p)) if (!known.has(k)) err('policy', `Unknown policy field "${k}".`);

  if (errors.length > 0) return { ok: false, errors };
  const win = w as DistributionWindow | null | undefined;
  return {
    ok: true,
    policy: {
      mode: p.mode as Policy['mode'],
      pinnedVersion: p.mode === 'pinned' ? (pinned as string).trim() : null,
      channel: p.channel as Policy['channel'],
      delivery: p.delivery as Policy['delivery'],
      remindOptionsDays: [...(days as number[])].sort((a, b) => a - b),
      window: win ? { start: win.start, end: win.end, timeZone: win.timeZone } : null,
      allowDowngrade: p.allowDowngrade as boolean,
      checkIntervalSeconds: p.checkIntervalSeconds as number,
      startupDelaySeconds: p.startupDelaySeconds as number,
      rolloutPercent: p.rolloutPercent as number,
      failureThresholdPercent: p.failureThresholdPercent as number,
      ring,
    },
  };
}

/** The ring is optional: null (or absent) for none; otherwise every field, each in range. */
function validateRing(input: unknown, err: (field: PolicyFieldError['field'], message: string) => void): RingRule | null {
  if (input === null || input === undefined) return null;
  if (typeof input !== 'object' || Array.isArray(input)) {
    err('ring', 'The ring must name a group, the installed and failed percentages and the hours to wait, or be empty for none.');
    return null;
  }
  const r = input as Record<string, unknown>;
  if (typeof r.groupId !== 'string' || r.groupId.trim() === '') err('ring.groupId', 'Pick the group a release must succeed in first.');
  const percent = (f: 'minInstalledPercent' | 'maxFailedPercent', what: string) => {
    const v = r[f];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 100) err(`ring.${f}`, `${what} must be a percentage from 0 to 100.`);
  };
  percent('minInstalledPercent', 'The share installed in the ring group');
  percent('maxFailedPercent', 'The share failed in the ring group');
  const h = r.afterHours;
  const { min, max } = RING_LIMITS.afterHours;
  if (typeof h !== 'number' || !Number.isFinite(h) || h < min || h > max) err('ring.afterHours', `The ring's wait must be between ${min} and ${max} hours.`);
  for (const k of Object.keys(r)) if (!['groupId', 'minInstalledPercent', 'maxFailedPercent', 'afterHours'].includes(k)) err('ring', `Unknown ring field "${k}".`);
  return typeof r.groupId === 'string'
    ? { groupId: r.groupId.trim(), minInstalledPercent: r.minInstalledPercent as number, maxFailedPercent: r.maxFailedPercent as number, afterHours: r.afterHours as number }
    : null;
}

// ---- distribution window -------------------------------------------------------------------------

const toMinutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

const formatters = new Map<string, Intl.DateTimeFormat>();
const minutesMemo = new Map<string, number>();

/**
 * Minutes since local midnight of `at` in the time zone. Memoised per zone and minute: every check-in of a group
 * with a window asks, and building a formatter costs more than the rest of the decision.
 */
export function localMinutes(at: Date, timeZone: string): number {
  const key = `${timeZone}|${Math.floor(at.getTime() / 60_000)}`;
  const hit = minutesMemo.get(key);
  if (hit !== undefined) return hit;
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    if (formatters.size < 500) formatters.set(timeZone, f);
  }
  const parts = f.formatToParts(at);
  const h = Number(parts.find((x) => x.type === 'hour')?.value ?? 0);
  const m = Number(parts.find((x) => x.type === 'minute')?.value ?? 0);
  if (minutesMemo.size > 2_000) minutesMemo.clear();
  minutesMemo.set(key, h * 60 + m);
  return h * 60 + m;
}

/** True when `now` is inside the window; [start, end) in local time, crossing midnight when end < start. */
export function isInWindow(window: DistributionWindow | null, now: Date): boolean {
  if (!window) return true;
  const t = localMinutes(now, window.timeZone);
  const s = toMinutes(window.start);
  const e = toMinutes(window.end);
  return s < e ? t >= s && t < e : t >= s || t < e;
}

/** The next instant (on a whole minute) at which the window opens, strictly after `now` unless now is inside it. */
export function nextWindowStart(window: DistributionWindow, now: Date): Date {
  const start = toMinutes(window.start);
  const base = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  let delta = (start - localMinutes(base, window.timeZone) + 1440) % 1440;
  if (delta === 0) delta = 1440;
  let candidate = new Date(base.getTime() + delta * 60_000);
  // A DST change between now and the candidate shifts local time; correct by the difference (twice is enough).
  for (let i = 0; i < 2; i++) {
    const off = start - localMinutes(candidate, window.timeZone);
    const fix = ((off + 720 + 1440) % 1440) - 720;
    if (fix === 0) break;
    candidate = new Date(candidate.getTime() + fix * 60_000);
  }
  return candidate;
}
