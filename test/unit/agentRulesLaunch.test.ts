// Table-driven: the launcher's pure rules (seed 002: swap at the program's exit; seed 003: a declined mandatory
// update shuts the program down), the start watch, jitter, retention, and links resolved through the tree (issue 9).
import assert from 'node:assert/strict';
import { allowedRemindDays, outcomeOfAnswer, stepForCheck } from '../../src/core/agentRules';
import { jittered, oldGenerationSuffixes, rolledBackReason, startFailure, stepAtExit, swapHeldBy, toRemove, type ExitFacts, type ExitStep, type StartFacts } from '../../src/core/launchRules';
import { linkLeavingPackage, resolveInPackage } from '../../src/core/packageLinks';

describe('stepAtExit: what the launcher does when the program has stopped', () => {
  const granted = { consent: 'granted' as const };
  const cases: Array<[string, ExitFacts, ExitStep]> = [
    ['seed 002: the user closed the program, an update waits → swap, exit with its code', { stop: 'none', staged: granted, code: 0 }, { swap: true, then: 'exit', exitCode: 0 }],
    ['nothing staged → just exit with the program\'s code', { stop: 'none', staged: null, code: 5 }, { swap: false, then: 'exit', exitCode: 5 }],
    ['killed by a signal (no code) → exit 1', { stop: 'none', staged: null, code: null }, { swap: false, then: 'exit', exitCode: 1 }],
    ['"install later" → not swapped: the user is asked at the next start', { stop: 'none', staged: { consent: 'ask' }, code: 0 }, { swap: false, then: 'exit', exitCode: 0 }],
    ['declined staged update → not swapped', { stop: 'none', staged: { consent: 'declined' }, code: 0 }, { swap: false, then: 'exit', exitCode: 0 }],
    ['"install now" → swap and start again', { stop: 'restart-for-update', staged: granted, code: null }, { swap: true, then: 'restart', exitCode: 0 }],
    ['seed 003: mandatory declined → no swap, exit 3', { stop: 'must-shut-down', staged: granted, code: null }, { swap: false, then: 'exit', exitCode: 3 }],
    ['the launcher is stopped at shutdown → swap (seed 002: at shutdown)', { stop: 'launcher-stopping', staged: granted, code: null }, { swap: true, then: 'exit', exitCode: 0 }],
  ];
  for (const [name, f, want] of cases) it(name, () => assert.deepEqual(stepAtExit(f), want));
});

describe('startFailure: did the new version fail to start?', () => {
  const base: StartFacts = { graceMs: 10_000, stoppedByLauncher: false };
  const cases: Array<[string, Partial<StartFacts>, string | undefined]> = [
    ['exit 1 within the grace time', { ranMs: 200, code: 1 }, 'exited with code 1 at start'],
    ['killed by a signal within the grace time', { ranMs: 200, code: null, signal: 'SIGSEGV' }, 'was killed by SIGSEGV at start'],
    ['exit 0 early is a program that finished, not a failure', { ranMs: 200, code: 0 }, undefined],
    ['exit 1 after the grace time is not a start failure', { ranMs: 60_000, code: 1 }, undefined],
    ['still running, health ok', { health: { ok: true, detail: 'ok' } }, undefined],
    ['health command failed', { health: { ok: false, detail: 'selftest exited with code 2' } }, 'failed its health check at start (selftest exited with code 2)'],
    ['stopped by the launcher on purpose', { ranMs: 100, code: null, signal: 'SIGTERM', stoppedByLauncher: true }, undefined],
  ];
  for (const [name, f, want] of cases) it(name, () => assert.equal(startFailure({ ...base, ...f }), want));
  it('the report says what happened, as the console shows it', () => {
    assert.equal(rolledBackReason('3.60.0.0', 'exited with code 1 at start', '3.59.127.0'), 'rolled back: 3.60.0.0 exited with code 1 at start; 3.59.127.0 is installed again');
  });
});

describe('jittered: ±10 % around the interval', () => {
  const cases: Array<[number, number, number]> = [
    [3600, 0, 3240], [3600, 0.5, 3600], [3600, 0.999999, 3959.99928], [1, 0, 1],
  ];
  for (const [s, r, want] of cases) it(`${s} s with random ${r} → ${want}`, () => assert.ok(Math.abs(jittered(s, r) - want) < 1e-3));
});

describe('toRemove: retention of downloads', () => {
  const items = [{ name: 'a.pkg', mtimeMs: 1 }, { name: 'b.pkg', mtimeMs: 2 }, { name: 'c.pkg', mtimeMs: 3 }, { name: 'd.part', mtimeMs: 4 }];
  const cases: Array<[string, number, string[], string[]]> = [
    ['keep the 2 newest', 2, [], ['a.pkg', 'b.pkg']],
    ['keep 1, the staged one is protected too', 1, ['a.pkg'], ['b.pkg', 'c.pkg']],
    ['keep more than there are', 10, [], []],
  ];
  for (const [name, keep, prot, want] of cases) it(name, () => assert.deepEqual(toRemove(items, keep, new Set(prot)), want));
  it('_old generations are named newest first', () => assert.deepEqual(oldGenerationSuffixes(3), ['_old', '_old.2', '_old.3']));
});

describe('remind N is one of the policy\'s choices (seed 000: 1, 3, 7)', () => {
  const cases: Array<[number, number[] | undefined, number]> = [
    [3, [1, 3, 7], 3], [5, [1, 3, 7], 3], [90, [1, 3, 7], 7], [0, [1, 3, 7], 1], [5, undefined, 3], [14, [14, 30], 14],
  ];
  for (const [days, opts, want] of cases) it(`remind:${days} with ${JSON.stringify(opts)} → ${want}`, () => assert.equal(allowedRemindDays(days, opts), want));
  it('the outcome defers by the fitted number of days', () => {
    const o = outcomeOfAnswer({ kind: 'remind', days: 90 }, { version: '2.0.0', mandatory: false, phase: 'offer', now: new Date('2026-11-25T00:00:00Z'), remindOptionsDays: [1, 3, 7] });
    assert.equal(o.outcome === 'declined' && o.deferredUntil, '2026-12-02T00:00:00.000Z');
  });
});

describe('stepForCheck: mandatory releases and rolled-back versions', () => {
  const ctx = { installed: '1.0.0', deferral: null, askedAtStartUp: new Set<string>() };
  it('seed 003: a mandatory release is asked over JSON too (the server sends force + mandatory)', () =>
    assert.deepEqual(stepForCheck({ action: 'force', version: '2.0.0', mandatory: true }, ctx), { step: 'ask' }));
  it('forced delivery of an optional release installs without asking', () =>
    assert.deepEqual(stepForCheck({ action: 'force', version: '2.0.0', mandatory: false }, ctx), { step: 'install' }));
  it('a version that failed to start here is not installed again', () =>
    assert.deepEqual(stepForCheck({ action: 'force', version: '2.0.0' }, { ...ctx, rolledBack: '2.0.0' }), { step: 'nothing', why: 'rolled-back' }));
  it('a newer version than the rolled-back one is taken', () =>
    assert.deepEqual(stepForCheck({ action: 'force', version: '2.0.1' }, { ...ctx, rolledBack: '2.0.0' }), { step: 'install' }));
});

describe('links resolved through the package tree (issue 9)', () => {
  const m = (o: Record<string, string>) => new Map(Object.entries(o));
  const cases: Array<[string, Record<string, string>, Record<string, string>, boolean]> = [
    ['a link inside', { 'lib/link': '../bin/app' }, {}, true],
    ['a link to its own folder', { a: '.' }, {}, true],
    ['"a -> ." and "b -> a/../outside": the text says inside, the tree says outside', { a: '.', b: 'a/../outside' }, {}, false],
    ['a chain through a folder link', { 'x/up': '..', 'x/y': 'up/../../etc' }, {}, false],
    ['a link behind a link', { d: '.', 'd/e': '../../z' }, {}, false],
    ['an absolute link', { l: '/etc/passwd' }, {}, false],
    ['a loop of links', { p: 'q', q: 'p' }, {}, false],
    ['a hard link through a symbolic link that leaves', { a: '.', b: 'a/..' }, { h: 'b/etc/passwd' }, false],
    ['a hard link inside', {}, { h: 'bin/app' }, true],
  ];
  for (const [name, sym, hard, inside] of cases) {
    it(name, () => assert.equal(linkLeavingPackage(m(sym), m(hard)) === undefined, inside, linkLeavingPackage(m(sym), m(hard))));
  }
  it('resolves step by step', () => {
    assert.deepEqual(resolveInPackage('a/a/bin', m({ a: '.' })), { inside: true, path: 'bin' });
    assert.equal(resolveInPackage('a/..', m({ a: '.' })).inside, false);
  });
});

describe('swapHeldBy: no swap while other processes still use the install folder', () => {
  const cases: Array<[string, Parameters<typeof swapHeldBy>[0], string | undefined]> = [
    ['not known (not Linux)', undefined, undefined],
    ['nobody', [], undefined],
    ['one helper', [{ pid: 4242, command: 'helper' }], '2.0.0 stays staged: pid 4242 (helper) still uses /opt/app; it is swapped in at the next exit or start once nothing uses the folder'],
    ['two', [{ pid: 1, command: 'a' }, { pid: 2, command: 'b' }], '2.0.0 stays staged: pid 1 (a), pid 2 (b) still use /opt/app; it is swapped in at the next exit or start once nothing uses the folder'],
    ['five: three named', [1, 2, 3, 4, 5].map((pid) => ({ pid, command: 'w' })), '2.0.0 stays staged: pid 1 (w), pid 2 (w), pid 3 (w) and 2 more still use /opt/app; it is swapped in at the next exit or start once nothing uses the folder'],
  ];
  for (const [name, holders, want] of cases) it(name, () => assert.equal(swapHeldBy(holders, '2.0.0', '/opt/app'), want));
});
