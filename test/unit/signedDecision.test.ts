// Table-driven: the signed bytes of a decision, whether an agent holding the server key acts on an answer, and
// which server addresses plain http may reach, and how a TLS refusal is put to an administrator.
import assert from 'node:assert/strict';
import { decisionSigningBytes, judgeAnswer, type AnswerCheck, type AnswerVerdict } from '../../src/core/signedDecision';
import { isLoopbackHost, tlsRefusal, transportFor } from '../../src/core/transport';

describe('decisionSigningBytes: the canonical encoding', () => {
  const fields = {
    clientId: 'pc-1', nonce: 'AAAAAAAAAAAAAAAAAAAAAAAA', installed: '1.0.0', action: 'force' as const, reason: 'forced-by-policy' as const,
    version: '2.0.0', sha256: 'ab'.repeat(32), size: 1234, mandatory: false, expiresAt: '2026-11-27T00:00:00.000Z',
  };
  it('is a fixed-order JSON array, as the README documents it', () => {
    assert.equal(decisionSigningBytes(fields),
      `["update-fleet-decision/1","pc-1","AAAAAAAAAAAAAAAAAAAAAAAA","1.0.0","force","forced-by-policy","2.0.0","${'ab'.repeat(32)}",1234,false,"2026-11-27T00:00:00.000Z"]`);
  });
  it('keeps a field\'s text inside its field (no shifting through separators)', () => {
    const shifted = decisionSigningBytes({ ...fields, installed: '1.0.0","force', action: 'offer' });
    assert.notEqual(shifted, decisionSigningBytes(fields));
    assert.deepEqual(JSON.parse(shifted)[3], '1.0.0","force');
  });
  it('writes absent package facts as null', () => {
    assert.deepEqual(JSON.parse(decisionSigningBytes({ ...fields, action: 'manual', sha256: null, size: null })).slice(7, 9), [null, null]);
  });
});

describe('judgeAnswer: does an agent with the server key act on this answer', () => {
  const now = new Date('2026-11-26T12:00:00Z');
  const future = '2026-11-27T12:00:00.000Z';
  const past = '2026-11-26T11:59:59.000Z';
  const ok: AnswerVerdict = { accept: true };
  const check = (answer: AnswerCheck['answer'], installed: string, signature: AnswerCheck['signature']): AnswerCheck => ({ answer, installed, signature, now });
  const cases: Array<[string, AnswerCheck, AnswerVerdict | RegExp]> = [
    ['nothing to install needs no signature', check({ action: 'none', reason: 'up-to-date' }, '2.0.0', 'missing'), ok],
    ['a "none" that names what waits (outside the window) needs none either', check({ action: 'none', reason: 'outside-window', version: '3.0.0' }, '2.0.0', 'missing'), ok],
    ['a signed upgrade in time', check({ action: 'force', reason: 'forced-by-policy', version: '3.0.0', expiresAt: future }, '2.0.0', 'valid'), ok],
    ['a signed offer', check({ action: 'offer', reason: 'upgrade-available', version: '3.0.0', expiresAt: future }, '2.0.0', 'valid'), ok],
    ['a signed manual install', check({ action: 'manual', reason: 'manual-install-required', version: '3.0.0', expiresAt: future }, '1.2.2', 'valid'), ok],
    ['an unsigned upgrade', check({ action: 'force', reason: 'forced-by-policy', version: '3.0.0' }, '2.0.0', 'missing'), /"force 3\.0\.0": it is not signed/],
    ['a tampered or replayed answer', check({ action: 'offer', reason: 'upgrade-available', version: '3.0.0', expiresAt: future }, '2.0.0', 'invalid'), /signature does not verify/],
    ['an expired answer', check({ action: 'force', reason: 'forced-by-policy', version: '3.0.0', expiresAt: past }, '2.0.0', 'valid'), /expired at 2026-11-26T11:59:59\.000Z \(the agent's clock says 2026-11-26T12:00:00\.000Z\)/],
    ['a signed answer without an expiry', check({ action: 'force', reason: 'forced-by-policy', version: '3.0.0' }, '2.0.0', 'valid'), /no valid expiry/],
    ['a signed rollback to a lower version', check({ action: 'downgrade', reason: 'rollback', version: '1.5.0', expiresAt: future }, '2.0.0', 'valid'), ok],
    ['a signed allowed downgrade', check({ action: 'downgrade', reason: 'downgrade-allowed', version: '1.5.0', expiresAt: future }, '2.0.0', 'valid'), ok],
    ['a lower version forced', check({ action: 'force', reason: 'forced-by-policy', version: '1.5.0', expiresAt: future }, '2.0.0', 'valid'), /1\.5\.0 is lower than the installed 2\.0\.0, and the answer is not a rollback/],
    ['a lower version offered', check({ action: 'offer', reason: 'upgrade-available', version: '1.5.0', expiresAt: future }, '2.0.0', 'valid'), /lower than the installed/],
    ['a "downgrade" with a reason that is not a rollback or an allowed downgrade', check({ action: 'downgrade', reason: 'pinned-version', version: '1.5.0', expiresAt: future }, '2.0.0', 'valid'), /not a rollback or an allowed downgrade/],
    ['versions compare as versions (3.1.018 = 3.1.18 is not lower)', check({ action: 'force', reason: 'forced-by-policy', version: '3.1.018', expiresAt: future }, '3.1.18', 'valid'), ok],
    ['a legacy build string that is not a version is not ordered', check({ action: 'offer', reason: 'upgrade-available', version: 'build-7', expiresAt: future }, 'build-9', 'valid'), ok],
  ];
  for (const [name, c, want] of cases) {
    it(name, () => {
      const got = judgeAnswer(c);
      if (want instanceof RegExp) {
        assert.equal(got.accept, false);
        assert.match((got as { reason: string }).reason, want);
      } else {
        assert.deepEqual(got, want);
      }
    });
  }
});

describe('transportFor: plain http only on this machine', () => {
  const hosts: Array<[string, boolean]> = [
    ['localhost', true], ['127.0.0.1', true], ['127.8.9.10', true], ['[::1]', true], ['::1', true], ['app.localhost', true],
    ['10.0.0.1', false], ['128.0.0.1', false], ['127.0.0.1.example.com', false], ['fleet.example.com', false], ['[::2]', false], ['0.0.0.0', false],
  ];
  for (const [host, loopback] of hosts) it(`${host} is ${loopback ? '' : 'not '}loopback`, () => assert.equal(isLoopbackHost(host), loopback));

  const urls: Array<[string, boolean, string]> = [
    ['https://fleet.example.com', false, 'https'],
    ['http://127.0.0.1:7780', false, 'loopback-http'],
    ['http://[::1]:7780', false, 'loopback-http'],
    ['http://fleet.example.com', false, 'refused'],
    ['http://10.20.0.5:7780', false, 'refused'],
    ['http://fleet.example.com', true, 'insecure-http'],
  ];
  for (const [url, insecure, use] of urls) it(`${url}${insecure ? ' with --insecure-http' : ''}: ${use}`, () => assert.equal(transportFor(url, insecure).use, use));
  it('says why, and what to do', () => {
    const v = transportFor('http://10.20.0.5:7780', false);
    assert.match((v as { reason: string }).reason, /^Refusing plain http to http:\/\/10\.20\.0\.5:7780: .* Use an https:\/\/ address \(--ca FILE for a private CA\), or --insecure-http/);
  });
});

describe('tlsRefusal: a TLS refusal in words, with how this program is given a private CA', () => {
  const advice = 'do the thing';
  const cases: Array<[string | undefined, RegExp | undefined]> = [
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', /^the server's TLS certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\); if a private CA issued it, do the thing$/],
    ['SELF_SIGNED_CERT_IN_CHAIN', /not trusted \(SELF_SIGNED_CERT_IN_CHAIN\); if a private CA issued it, do the thing$/],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', /not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', /not trusted/],
    ['CERT_HAS_EXPIRED', /^the server's TLS certificate has expired \(CERT_HAS_EXPIRED\)$/],
    ['CERT_NOT_YET_VALID', /not valid yet .* check this machine's clock$/],
    ['ERR_TLS_CERT_ALTNAME_INVALID', /^the server's TLS certificate is not for this address \(the message\)$/],
    ['EPROTO', /the TLS handshake failed \(EPROTO\); does the server speak https on this port\?/],
    ['ERR_SSL_WRONG_VERSION_NUMBER', /the TLS handshake failed \(ERR_SSL_WRONG_VERSION_NUMBER\)/],
    ['ECONNREFUSED', undefined],
    ['ETIMEDOUT', undefined],
    [undefined, undefined],
  ];
  for (const [code, want] of cases) {
    it(`${code ?? 'no code'}: ${want ? 'a TLS refusal' : 'not TLS'}`, () => {
      const text = tlsRefusal(code, 'the message', advice);
      if (want) assert.match(text ?? '', want);
      else assert.equal(text, undefined);
    });
  }
});
