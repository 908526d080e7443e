import assert from 'node:assert/strict';
import { encodeLegacyCheck, encodeVersionInfoXml, LegacyFormatError, neutraliseFormula, parseLegacyCheck, parseVersionInfoXml, VersionInfoError } from '../../src/core';

describe('core/legacy check response (seed 003)', () => {
  it('encodes the exact bytes: [DATA], Success, Mandatory, version, url, CRLF line ends, final CRLF', () => {
    const text = encodeLegacyCheck({ success: true, mandatory: true, version: '60000', url: 'https://executableupgradeserver.com/newversion.exe' });
    assert.equal(text, '[DATA]\r\nSuccess=1\r\nMandatory=1\r\nversion=60000\r\nurl=https://executableupgradeserver.com/newversion.exe\r\n');
    assert.ok(!text.includes('[SETTINGS]'));
  });
  it('no upgrade is Success=0 only', () => {
    assert.equal(encodeLegacyCheck({ success: false, mandatory: false }), '[DATA]\r\nSuccess=0\r\n');
  });
  it('round-trips', () => {
    const c = { success: true, mandatory: false, version: '3.59.228.0', url: 'http://127.0.0.1:7780/agent/v1/artifacts/ab' };
    assert.deepEqual(parseLegacyCheck(encodeLegacyCheck(c)), c);
  });
  it('Mandatory is optional and defaults to 0', () => {
    assert.deepEqual(parseLegacyCheck('[DATA]\r\nSuccess=1\r\nversion=60000\r\nurl=http://h/x.exe\r\n'), { success: true, mandatory: false, version: '60000', url: 'http://h/x.exe' });
  });
  const refused: Array<[string, string, RegExp]> = [
    ['a [SETTINGS] section', '[DATA]\r\nSuccess=0\r\n[SETTINGS]\r\nproxy=evil\r\n', /SETTINGS/],
    ['no [DATA] section', 'Success=1\r\n', /no \[DATA\]/],
    ['Success=1 without a url', '[DATA]\r\nSuccess=1\r\nversion=1\r\n', /no url/],
    ['a flag that is not 0 or 1', '[DATA]\r\nSuccess=yes\r\n', /0 or 1/],
    ['an empty body', '', /empty/],
  ];
  for (const [what, text, msg] of refused) {
    it(`refuses ${what}`, () => assert.throws(() => parseLegacyCheck(text), (e: unknown) => e instanceof LegacyFormatError && msg.test((e as Error).message)));
  }
  it('refuses a value that would inject a line', () => {
    assert.throws(() => encodeLegacyCheck({ success: true, mandatory: false, version: '1\r\n[SETTINGS]', url: 'u' }), LegacyFormatError);
  });
});

describe('core/version_info.xml (seed 002: Version > Current)', () => {
  it('reads Version > Current and the package', () => {
    const xml = '<?xml version="1.0"?><VersionInfo><Version><Current>3.1.018</Current></Version><Package><File>cti-3.1.018.tar.gz</File><Sha256>' + 'AB'.repeat(32) + '</Sha256><Size>1024</Size></Package></VersionInfo>';
    assert.deepEqual(parseVersionInfoXml(xml), { current: '3.1.018', file: 'cti-3.1.018.tar.gz', sha256: 'ab'.repeat(32), size: 1024, mandatory: false });
  });
  it('accepts <Version> as the root', () => {
    assert.equal(parseVersionInfoXml('<Version><Current>3.1.019</Current></Version>').current, '3.1.019');
  });
  it('round-trips what it writes', () => {
    const info = { current: '3.1.019', file: 'cti-3.1.019.tar.gz', sha256: 'cd'.repeat(32), size: 5, mandatory: true };
    assert.deepEqual(parseVersionInfoXml(encodeVersionInfoXml(info)), info);
  });
  const refused: Array<[string, string, RegExp]> = [
    ['broken XML', '<VersionInfo><Version>', /well-formed/],
    ['no Current', '<VersionInfo><Version></Version></VersionInfo>', /missing/],
    ['a bad version', '<VersionInfo><Version><Current>three</Current></Version></VersionInfo>', /not a valid version/],
    ['a package path that leaves the share', '<VersionInfo><Version><Current>1.0</Current></Version><Package><File>../../etc/passwd</File></Package></VersionInfo>', /plain file name/],
    ['a bad sha256', '<VersionInfo><Version><Current>1.0</Current></Version><Package><Sha256>xyz</Sha256></Package></VersionInfo>', /64 hex/],
  ];
  for (const [what, xml, msg] of refused) {
    it(`refuses ${what}`, () => assert.throws(() => parseVersionInfoXml(xml), (e: unknown) => e instanceof VersionInfoError && msg.test((e as Error).message)));
  }
});

describe('core/csv cells', () => {
  const table: Array<[unknown, string]> = [
    ['=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'],
    ['+1+1', "'+1+1"], ['-2+3', "'-2+3"], ['@SUM(A1)', "'@SUM(A1)"], ['\t=1', "'\t=1"],
    ['PC-0042', 'PC-0042'], ['10.0.0.1', '10.0.0.1'], [null, ''], [42, '42'],
  ];
  for (const [cell, want] of table) it(`${JSON.stringify(cell)} → ${JSON.stringify(want)}`, () => assert.equal(neutraliseFormula(cell), want));
});
