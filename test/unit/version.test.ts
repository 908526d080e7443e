import assert from 'node:assert/strict';
import semver from 'semver';
import { classifyChange, compareVersions, isValidVersion, maxVersion, parseVersion, VersionError } from '../../src/core';

describe('core/version', () => {
  const order: Array<[string, string, -1 | 0 | 1, string]> = [
    ['3.59.127.0', '3.59.228.0', -1, 'seed 001: four numeric parts'],
    ['3.59.228.0', '3.59.127.0', 1, 'seed 001: four numeric parts, reversed'],
    ['1.2.2', '1.2.3', -1, 'seed 000: three parts'],
    ['1.2.2', '1.2.2.0', 0, 'missing parts count as zero'],
    ['3.1.018', '3.1.019', -1, 'seed 002: leading zero compared as a number'],
    ['3.1.018', '3.1.18', 0, 'seed 002: 018 is 18'],
    ['3.1.018', '3.1.9', 1, 'seed 002: 018 is newer than 9, not text order'],
    ['60000', '60000', 0, 'seed 003: same build stamp'],
    ['59999', '60000', -1, 'seed 003: build stamps compare numerically'],
    ['4.0.0-beta.1', '4.0.0', -1, 'seed 000: a beta comes before the release'],
    ['4.0.0-beta.1', '4.0.0-beta.2', -1, 'seed 000: beta numbers'],
    ['4.0.0-beta.1', '3.59.228.0', 1, 'a 4.0 beta is newer than any 3.x'],
    ['4.0.0-alpha', '4.0.0-beta', -1, 'pre-release identifiers compare as text'],
    ['4.0.0-beta.2', '4.0.0-beta.10', -1, 'numeric pre-release identifiers compare as numbers'],
    ['v1.2.3', '1.2.3', 0, 'a leading v is accepted'],
    ['1.2.3+build.5', '1.2.3', 0, 'build metadata does not order'],
  ];
  for (const [a, b, want, why] of order) {
    it(`${a} vs ${b} → ${want} (${why})`, () => {
      assert.equal(compareVersions(a, b), want);
      assert.equal(compareVersions(b, a), -want || 0);
    });
  }

  const invalid = ['', '   ', 'abc', '1..2', '1.2.x', '*', '1.2.3-', '-1.2', '1.2.3.4.5.6.7', '1234567890123456'];
  for (const v of invalid) {
    it(`refuses "${v}" with a clear error`, () => {
      assert.equal(isValidVersion(v), false);
      assert.throws(() => parseVersion(v), (e: unknown) => e instanceof VersionError && /is not a valid version/.test((e as Error).message));
    });
  }

  const kinds: Array<[string, string, string, string]> = [
    ['3.59.127.0', '4.0.0-beta.1', 'major', 'seed 000: major upgrade is a new first part'],
    ['3.59.127.0', '3.60.0.0', 'minor', 'seed 000: minor update is a new second part'],
    ['3.59.127.0', '3.59.228.0', 'patch', 'seed 001: third part'],
    ['3.59.127.0', '3.59.127.1', 'patch', 'fourth part is a patch too'],
    ['4.0.0-beta.1', '4.0.0', 'prerelease', 'beta to release'],
    ['60000', '60001', 'build', 'seed 003: build stamps only say "different build"'],
    ['1.2.2', '1.2.2', 'none', 'same version'],
  ];
  for (const [a, b, want, why] of kinds) {
    it(`classifies ${a} → ${b} as ${want} (${why})`, () => assert.equal(classifyChange(a, b), want));
  }

  it('maxVersion picks the newest across formats', () => {
    assert.equal(maxVersion(['3.1.018', '3.1.9', '3.1.019-beta.1']), '3.1.019-beta.1');
    assert.equal(maxVersion([]), undefined);
  });

  it('agrees with semver.compare on thousands of generated semver pairs (semver is the oracle)', () => {
    // A seeded generator so a failure can be reproduced.
    let seed = 42;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const ids = ['alpha', 'beta', 'rc', 'a1', 'b-2', 'x', 'Z'];
    const gen = (): string => {
      const core = `${rnd(4)}.${rnd(4)}.${rnd(12)}`;
      if (rnd(3) !== 0) return core;
      const pre = Array.from({ length: 1 + rnd(3) }, () => (rnd(2) ? String(rnd(12)) : ids[rnd(ids.length)]));
      return `${core}-${pre.join('.')}${rnd(5) === 0 ? '+b' + rnd(9) : ''}`;
    };
    let n = 0;
    for (let i = 0; i < 5000; i++) {
      const a = gen();
      const b = gen();
      assert.ok(semver.valid(a) && semver.valid(b), `generator made invalid semver ${a} ${b}`);
      assert.equal(compareVersions(a, b), semver.compare(a, b), `${a} vs ${b}`);
      n++;
    }
    assert.equal(n, 5000);
  });
});
