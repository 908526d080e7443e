// One comparator for every version format the seeds use:
//   3.59.127.0 (four numeric parts), 1.2.2, 3.1.018 (leading zero, compared as a number),
//   60000 (a bare build stamp), 4.0.0-beta.1 (semver with a pre-release tag).
// Semver strings are parsed by `semver`; for them the order agrees with semver.compare (tested with semver as oracle).
import semver from 'semver';

export class VersionError extends Error {
  constructor(readonly input: string, why: string) {
    super(`"${input}" is not a valid version: ${why}`);
    this.name = 'VersionError';
  }
}

export interface ParsedVersion {
  raw: string;
  /** Numeric parts, most significant first. Missing parts compare as 0. */
  parts: number[];
  /** Pre-release identifiers (e.g. ["beta", 1]); empty for a release version. */
  prerelease: (string | number)[];
}

export type ChangeKind = 'none' | 'major' | 'minor' | 'patch' | 'prerelease' | 'build';

const DOTTED = /^v?(\d{1,15}(?:\.\d{1,15}){0,5})(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

// Check-ins compare the same few release versions over and over; parsing is pure, so results are memoised.
const parsedCache = new Map<string, ParsedVersion>();
const PARSED_CACHE_MAX = 4096;

export function parseVersion(input: string): ParsedVersion {
  const hit = typeof input === 'string' ? parsedCache.get(input) : undefined;
  if (hit) return hit;
  const parsed = parseVersionUncached(input);
  if (parsedCache.size >= PARSED_CACHE_MAX) parsedCache.clear();
  // Frozen: callers share the cached object.
  parsedCache.set(input, Object.freeze({ ...parsed, parts: Object.freeze([...parsed.parts]) as number[], prerelease: Object.freeze([...parsed.prerelease]) as (string | number)[] }));
  return parsedCache.get(input)!;
}

function parseVersionUncached(input: string): ParsedVersion {
  if (typeof input !== 'string') throw new VersionError(String(input), 'expected text');
  const raw = input.trim();
  if (raw === '') throw new VersionError(input, 'it is empty');
  const sv = semver.parse(raw);
  if (sv) return { raw, parts: [sv.major, sv.minor, sv.patch], prerelease: [...sv.prerelease] };
  const m = DOTTED.exec(raw);
  if (!m) {
    if (/[*xX]/.test(raw)) throw new VersionError(input, 'wildcards and ranges are not versions');
    throw new VersionError(input, 'expected numbers separated by dots, e.g. 3.59.127.0, 1.2.2 or 60000, optionally with a pre-release tag like -beta.1');
  }
  const parts = m[1].split('.').map((p) => Number(p));
  const prerelease = m[2] ? m[2].split('.').map((id) => (/^\d+$/.test(id) ? Number(id) : id)) : [];
  return { raw, parts, prerelease };
}

export function isValidVersion(input: string): boolean {
  try {
    parseVersion(input);
    return true;
  } catch {
    return false;
  }
}

function compareIdentifiers(a: string | number, b: string | number): number {
  const an = typeof a === 'number';
  const bn = typeof b === 'number';
  if (an && bn) return a === b ? 0 : a < b ? -1 : 1;
  if (an) return -1; // numeric identifiers sort before alphanumeric ones (semver 11.4.4)
  if (bn) return 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

export function compareParsed(a: ParsedVersion, b: ParsedVersion): -1 | 0 | 1 {
  const n = Math.max(a.parts.length, b.parts.length);
  for (let i = 0; i < n; i++) {
    const x = a.parts[i] ?? 0;
    const y = b.parts[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  // A pre-release sorts before the release it leads to.
  if (a.prerelease.length === 0 && b.prerelease.length === 0) return 0;
  if (a.prerelease.length === 0) return 1;
  if (b.prerelease.length === 0) return -1;
  const m = Math.max(a.prerelease.length, b.prerelease.length);
  for (let i = 0; i < m; i++) {
    if (i >= a.prerelease.length) return -1;
    if (i >= b.prerelease.length) return 1;
    const c = compareIdentifiers(a.prerelease[i], b.prerelease[i]);
    if (c !== 0) return c < 0 ? -1 : 1;
  }
  return 0;
}

/** -1 when a is older than b, 0 when they are the same version, 1 when a is newer. Throws VersionError. */
export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  return compareParsed(parseVersion(a), parseVersion(b));
}

export function sameVersion(a: string, b: string): boolean {
  return compareVersions(a, b) === 0;
}

/** The newest of the given versions (undefined for none). */
export function maxVersion(versions: string[]): string | undefined {
  let best: string | undefined;
  for (const v of versions) if (best === undefined || compareVersions(v, best) > 0) best = v;
  return best;
}

/**
 * The product's version convention: the first part is the major version, the second the minor,
 * anything after is a patch. A bare build stamp (60000) only says "a different build".
 */
export function classifyChange(from: string, to: string): ChangeKind {
  const a = parseVersion(from);
  const b = parseVersion(to);
  if (compareParsed(a, b) === 0) return 'none';
  if (a.parts.length === 1 && b.parts.length === 1 && a.parts[0] !== b.parts[0]) return 'build';
  if ((a.parts[0] ?? 0) !== (b.parts[0] ?? 0)) return 'major';
  if ((a.parts[1] ?? 0) !== (b.parts[1] ?? 0)) return 'minor';
  const n = Math.max(a.parts.length, b.parts.length);
  for (let i = 2; i < n; i++) if ((a.parts[i] ?? 0) !== (b.parts[i] ?? 0)) return 'patch';
  return 'prerelease';
}

export function isPrerelease(version: string): boolean {
  return parseVersion(version).prerelease.length > 0;
}
