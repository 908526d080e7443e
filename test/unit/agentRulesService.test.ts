// Table-driven: the local wire between the user's side and the privileged service refuses anything but its three
// requests (no paths, no versions, no renames); Windows install paths get seed 002's sibling folders.
import assert from 'node:assert/strict';
import path from 'node:path';
import { parseServiceRequest } from '../../src/core/serviceWire';
import { defaultServiceSocket, defaultStateDir, selfCommand, siblingsOf } from '../../src/agent/platform';

describe('parseServiceRequest: what the user\'s side may say', () => {
  const ok: Array<[string, string, unknown]> = [
    ['ask what is pending', '{"op":"pending"}', { op: 'pending' }],
    ['answer a question', '{"op":"answer","questionId":"3f2a-11","answer":{"kind":"now"}}', { op: 'answer', questionId: '3f2a-11', answer: { kind: 'now' } }],
    ['remind in 3 days', '{"op":"answer","questionId":"q1","answer":{"kind":"remind","days":3}}', { op: 'answer', questionId: 'q1', answer: { kind: 'remind', days: 3 } }],
    ['the program exited', '{"op":"exited","code":0}', { op: 'exited', code: 0 }],
    ['the program was killed', '{"op":"exited","code":null}', { op: 'exited', code: null }],
  ];
  for (const [name, line, want] of ok) it(name, () => assert.deepEqual(parseServiceRequest(line), want));
  const refused: Array<[string, string]> = [
    ['a path to swap', '{"op":"apply","path":"/opt/app"}'],
    ['a path smuggled into a known request', '{"op":"exited","code":0,"install":"/etc"}'],
    ['a version to install', '{"op":"pending","version":"9.9.9"}'],
    ['a rename', '{"op":"rename","from":"/a","to":"/b"}'],
    ['an unknown answer', '{"op":"answer","questionId":"q","answer":{"kind":"rm -rf"}}'],
    ['a question id with a path in it', '{"op":"answer","questionId":"../../x","answer":{"kind":"now"}}'],
    ['not JSON', 'pending'],
    ['an array', '[]'],
  ];
  for (const [name, line] of refused) it(`refuses ${name}`, () => assert.throws(() => parseServiceRequest(line)));
});

describe('platform: folders on Windows and POSIX', () => {
  const cases: Array<[string, typeof path.win32 | typeof path.posix, string, { pending: string; old: string }]> = [
    ['seed 002 on Windows', path.win32, 'C:\\Program Files (x86)\\CTI Client', { pending: 'C:\\Program Files (x86)\\CTI Client_update_pending', old: 'C:\\Program Files (x86)\\CTI Client_old' }],
    ['a trailing backslash', path.win32, 'C:\\Apps\\Fleet\\', { pending: 'C:\\Apps\\Fleet_update_pending', old: 'C:\\Apps\\Fleet_old' }],
    ['forward slashes on Windows', path.win32, 'D:/Apps/Fleet', { pending: 'D:\\Apps\\Fleet_update_pending', old: 'D:\\Apps\\Fleet_old' }],
    ['a UNC path', path.win32, '\\\\server\\share\\Fleet', { pending: '\\\\server\\share\\Fleet_update_pending', old: '\\\\server\\share\\Fleet_old' }],
    ['POSIX', path.posix, '/opt/fleet-client/app/', { pending: '/opt/fleet-client/app_update_pending', old: '/opt/fleet-client/app_old' }],
  ];
  for (const [name, p, install, want] of cases) {
    it(name, () => {
      const s = siblingsOf(install, p);
      assert.deepEqual({ pending: s.pending, old: s.old }, want);
    });
  }
  it('refuses a drive or file-system root (no sibling folder there)', () => {
    assert.throws(() => siblingsOf('C:\\', path.win32), /root folder/);
    assert.throws(() => siblingsOf('/', path.posix), /root folder/);
  });
  it('the command a service unit starts: the single executable alone, else node with its script', () => {
    assert.deepEqual(selfCommand(true, '/usr/local/bin/update-fleet-agent', '/usr/local/bin/update-fleet-agent'), ['/usr/local/bin/update-fleet-agent']);
    assert.deepEqual(selfCommand(false, '/usr/bin/node', '/usr/local/lib/update-fleet/agent.js'), ['/usr/bin/node', '/usr/local/lib/update-fleet/agent.js']);
    assert.deepEqual(selfCommand(false, '/usr/bin/node', ''), ['/usr/bin/node']);
  });
  it('default places per platform', () => {
    assert.equal(defaultServiceSocket('win32'), '\\\\.\\pipe\\update-fleet-agent');
    assert.equal(defaultServiceSocket('linux'), '/run/update-fleet-agent/agent.sock');
    assert.equal(defaultStateDir({ ProgramData: 'C:\\ProgramData' }, 'win32', -1), 'C:\\ProgramData\\UpdateFleet\\Agent');
    assert.equal(defaultStateDir({}, 'linux', 0), '/var/lib/update-fleet-agent');
  });
});
