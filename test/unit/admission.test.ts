// Table-driven: what an enrollment does to a client id, what a client's status answers, what an admin may change
// (issue 9: a credential per client, decommission, manual admission).
import assert from 'node:assert/strict';
import {
  adminTransition, decodeClientToken, encodeClientToken, enrollOutcome, isFinalRefusal, refusalFor,
  type CredentialStatus, type EnrollFacts, type EnrollOutcome,
} from '../../src/core/admission';

const ex = (status: CredentialStatus, hasSecret = true, sameSecret = false): EnrollFacts['existing'] => ({ status, hasSecret, sameSecret });

describe('enrollOutcome: the enrollment token creates ids, never takes one over', () => {
  const cases: Array<{ name: string; f: EnrollFacts; want: Partial<EnrollOutcome> }> = [
    { name: 'a new id, automatic admission: in at once', f: { mode: 'automatic', knownClient: false }, want: { kind: 'store', status: 'active' } },
    { name: 'a new id, manual admission: held as pending', f: { mode: 'manual', knownClient: false }, want: { kind: 'store', status: 'pending' } },
    { name: 'an id in the fleet without a credential (older agent): held for an admin even in automatic mode', f: { mode: 'automatic', knownClient: true }, want: { kind: 'store', status: 'pending', why: 'claims-known-client' } },
    { name: 'the same secret again (a lost answer retried): nothing changes', f: { mode: 'automatic', knownClient: true, existing: ex('active', true, true) }, want: { kind: 'again', status: 'active' } },
    { name: 'the same secret while pending: still pending', f: { mode: 'manual', knownClient: false, existing: ex('pending', true, true) }, want: { kind: 'again', status: 'pending' } },
    { name: 'another secret for an enrolled id (impersonation): 409', f: { mode: 'automatic', knownClient: true, existing: ex('active') }, want: { kind: 'refuse', http: 409, code: 'already-enrolled' } },
    { name: 'another secret for a pending id: 409', f: { mode: 'manual', knownClient: false, existing: ex('pending') }, want: { kind: 'refuse', http: 409, code: 'already-enrolled' } },
    { name: 'a decommissioned id, even with its own secret: 403', f: { mode: 'automatic', knownClient: false, existing: ex('decommissioned', true, true) }, want: { kind: 'refuse', http: 403, code: 'decommissioned' } },
    { name: 'a rejected id: 403', f: { mode: 'manual', knownClient: false, existing: ex('rejected') }, want: { kind: 'refuse', http: 403, code: 'rejected' } },
    { name: 'a legacy record without a secret: held for an admin', f: { mode: 'automatic', knownClient: true, existing: ex('active', false) }, want: { kind: 'store', status: 'pending' } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = enrollOutcome('pc-1', c.f);
      for (const [k, v] of Object.entries(c.want)) assert.equal((got as Record<string, unknown>)[k], v, `${k} of ${JSON.stringify(got)}`);
      if (got.kind === 'refuse') assert.match(got.message, /pc-1/);
    });
  }
});

describe('refusalFor: a readable reason for every status but active', () => {
  const cases: Array<[CredentialStatus, string | undefined, RegExp | undefined, boolean]> = [
    ['active', undefined, undefined, false],
    ['pending', 'pending-admission', /waiting for an administrator to admit this client/, false],
    ['decommissioned', 'decommissioned', /decommissioned by an administrator/, true],
    ['rejected', 'rejected', /rejected the enrollment/, true],
  ];
  for (const [status, code, message, final] of cases) {
    it(status, () => {
      const r = refusalFor('pc-1', status);
      assert.equal(r?.code, code);
      if (message) assert.match(r!.message, message);
      assert.equal(isFinalRefusal(r?.code), final);
    });
  }
});

describe('adminTransition: accept and reject only pending; decommission once', () => {
  const cases: Array<[Parameters<typeof adminTransition>[0], CredentialStatus | undefined, CredentialStatus | number]> = [
    ['accept', 'pending', 'active'],
    ['reject', 'pending', 'rejected'],
    ['accept', 'active', 409],
    ['reject', 'decommissioned', 409],
    ['accept', undefined, 404],
    ['decommission', 'active', 'decommissioned'],
    ['decommission', 'pending', 'decommissioned'],
    ['decommission', undefined, 'decommissioned'],
    ['decommission', 'decommissioned', 409],
  ];
  for (const [action, from, want] of cases) {
    it(`${action} from ${from ?? 'no record'} → ${want}`, () => {
      const r = adminTransition(action, from, 'pc-1');
      if (typeof want === 'number') assert.equal(r.ok ? undefined : r.http, want);
      else assert.equal(r.ok ? r.status : r.message, want);
    });
  }
});

describe('client token: the id travels with the secret', () => {
  const secret = 'A'.repeat(43);
  for (const id of ['pc-1', 'demo-off-pc-0001', 'a.b:c@d_e', '0f1e2d3c-aaaa-5bbb-8ccc-123456789abc']) {
    it(`round trip ${id}`, () => assert.deepEqual(decodeClientToken(encodeClientToken(id, secret)), { clientId: id, secret }));
  }
  const bad: Array<[string, string]> = [
    ['an enrollment token', 'ufe_abc'],
    ['no secret', 'ufc.cGMtMQ'],
    ['a short secret', 'ufc.cGMtMQ.abc'],
    ['an extra part', `ufc.cGMtMQ.${secret}.x`],
    ['a bad id encoding', `ufc.%%%.${secret}`],
  ];
  for (const [name, token] of bad) it(`refuses ${name}`, () => assert.equal(decodeClientToken(token), undefined));
});
