// Table-driven: what the agent does with a check-in answer and with the user's answer (seeds 000, 003).
import assert from 'node:assert/strict';
import { outcomeOfAnswer, sameInstalledVersion, stepForCheck, type AnswerOutcome, type CheckStep, type UpdateAnswer } from '../../src/core/agentRules';

const NONE = new Set<string>();
const ctx = (installed: string, extra: Partial<{ deferral: { version: string; until: string } | null; askedAtStartUp: Set<string> }> = {}) =>
  ({ installed, deferral: extra.deferral ?? null, askedAtStartUp: extra.askedAtStartUp ?? NONE });

describe('stepForCheck: the agent\'s step after a check-in', () => {
  const cases: Array<[string, Parameters<typeof stepForCheck>[0], ReturnType<typeof ctx>, CheckStep]> = [
    ['nothing to do', { action: 'none' }, ctx('1.0.0'), { step: 'nothing', why: 'no-update' }],
    ['seed 003: the same build number, no prompt', { action: 'offer', version: '60000' }, ctx('60000'), { step: 'nothing', why: 'same-version' }],
    ['seed 003: same version written differently (3.1.018 = 3.1.18)', { action: 'force', version: '3.1.018' }, ctx('3.1.18'), { step: 'nothing', why: 'same-version' }],
    ['seed 003: a different build number asks', { action: 'offer', version: '60001' }, ctx('60000'), { step: 'ask' }],
    ['seed 000: forced delivery installs without asking', { action: 'force', version: '2.0.0' }, ctx('1.0.0'), { step: 'install' }],
    ['seed 001/000: a rollback (downgrade) installs without asking', { action: 'downgrade', version: '1.0.0' }, ctx('2.0.0'), { step: 'install' }],
    ['seed 000: below the minimum, a manual install', { action: 'manual', version: '3.0.0' }, ctx('1.2.2'), { step: 'manual' }],
    ['seed 000: "remind me" is honoured until then', { action: 'offer', version: '2.0.0' }, ctx('1.0.0', { deferral: { version: '2.0.0', until: '2026-12-01T00:00:00Z' } }), { step: 'nothing', why: 'deferred' }],
    ['a deferral of another version does not hold a newer offer', { action: 'offer', version: '2.1.0' }, ctx('1.0.0', { deferral: { version: '2.0.0', until: '2026-12-01T00:00:00Z' } }), { step: 'ask' }],
    ['a forced update ignores a deferral', { action: 'force', version: '2.0.0' }, ctx('1.0.0', { deferral: { version: '2.0.0', until: '2026-12-01T00:00:00Z' } }), { step: 'install' }],
    ['seed 003: asked at start-up already, not again in the same cycle', { action: 'offer', version: '2.0.0' }, ctx('1.0.0', { askedAtStartUp: new Set(['2.0.0']) }), { step: 'nothing', why: 'asked-at-start-up' }],
    ['a legacy build string that is not a version compares as text', { action: 'offer', version: 'build-7' }, ctx('build-7'), { step: 'nothing', why: 'same-version' }],
  ];
  for (const [name, d, c, want] of cases) it(name, () => assert.deepEqual(stepForCheck(d, c), want));
});

describe('outcomeOfAnswer: the user\'s answer', () => {
  const now = new Date('2026-11-25T10:00:00Z');
  const base = { version: '2.0.0', now };
  const cases: Array<[string, UpdateAnswer, { mandatory: boolean; phase: 'offer' | 'staged' }, Partial<AnswerOutcome> & { outcome: AnswerOutcome['outcome'] }]> = [
    ['install now', { kind: 'now' }, { mandatory: false, phase: 'offer' }, { outcome: 'install', consent: 'granted' }],
    ['seed 003 install later: download now, ask at the next start', { kind: 'later' }, { mandatory: false, phase: 'offer' }, { outcome: 'install', consent: 'ask' }],
    ['later again at start-up: keep it staged, ask next time', { kind: 'later' }, { mandatory: false, phase: 'staged' }, { outcome: 'wait' }],
    ['now at start-up installs the staged update', { kind: 'now' }, { mandatory: true, phase: 'staged' }, { outcome: 'install', consent: 'granted' }],
    ['seed 003: optional declined → asked again next cycle', { kind: 'decline' }, { mandatory: false, phase: 'offer' }, { outcome: 'declined', state: 'declined', mustShutDown: false, stopChecking: false }],
    ['seed 003: mandatory declined → the program shuts down', { kind: 'decline' }, { mandatory: true, phase: 'offer' }, { outcome: 'declined', state: 'declined', mustShutDown: true, stopChecking: true }],
    ['a mandatory update cannot be postponed with remind', { kind: 'remind', days: 3 }, { mandatory: true, phase: 'offer' }, { outcome: 'declined', mustShutDown: true }],
    ['a mandatory update cannot be silenced with never', { kind: 'never' }, { mandatory: true, phase: 'staged' }, { outcome: 'declined', mustShutDown: true }],
    ['seed 003 "do not ask me again": no checks this session', { kind: 'never' }, { mandatory: false, phase: 'offer' }, { outcome: 'declined', state: 'declined', mustShutDown: false, stopChecking: true }],
    ['seed 000 remind in 3 days: deferred until then', { kind: 'remind', days: 3 }, { mandatory: false, phase: 'offer' }, { outcome: 'declined', state: 'deferred', deferredUntil: '2026-11-28T10:00:00.000Z', mustShutDown: false, stopChecking: false }],
  ];
  for (const [name, answer, c, want] of cases) {
    it(name, () => {
      const got = outcomeOfAnswer(answer, { ...base, ...c }) as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k], v, `${k} of ${JSON.stringify(got)}`);
      if (got.outcome === 'declined') assert.ok(String(got.reason).includes('2.0.0'), 'the reason names the version');
    });
  }
});

describe('sameInstalledVersion', () => {
  for (const [a, b, want] of [['3.59.127.0', '3.59.127.0', true], ['1.2', '1.2.0', true], ['4.0.0-beta.1', '4.0.0', false], ['x y', 'x y', true], ['x', 'y', false]] as const) {
    it(`${a} vs ${b}`, () => assert.equal(sameInstalledVersion(a, b), want));
  }
});
