// The question in a graphical session: a zenity dialog to answer, notify-send to tell. Real child processes: small
// stand-ins for zenity and notify-send on PATH record what they were given and answer like a person clicking.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { desktopPrompter } from '../../src/agent/desktop';
import { createPrompter, FixedPrompter } from '../../src/agent/prompter';
import { cleanupTempDirs, tempDir } from './helpers';

async function fakeTools(pick: string): Promise<{ bin: string; log: string }> {
  const bin = await tempDir('bin');
  const log = join(bin, 'calls.log');
  await fsp.writeFile(join(bin, 'zenity'), `#!/bin/sh\nprintf '%s\\n' "$@" >> '${log}'\necho '${pick}'\n`, { mode: 0o755 });
  await fsp.writeFile(join(bin, 'notify-send'), `#!/bin/sh\nprintf 'notify:%s\\n' "$@" >> '${log}'\n`, { mode: 0o755 });
  return { bin, log };
}

const request = { phase: 'download' as const, version: '2.0.0', installedVersion: '1.0.0', mandatory: false, remindOptionsDays: [1, 3, 7], message: '2.0.0 is available.' };

describe('agent: desktop prompts (zenity, notify-send)', function () {
  this.timeout(20_000);
  after(cleanupTempDirs);

  it('asks with a zenity list of the policy\'s choices and tells with notify-send', async () => {
    const t = await fakeTools('Remind me in 3 days');
    const p = desktopPrompter({ DISPLAY: ':0', PATH: t.bin })!;
    assert.ok(p, 'a display and the tools: a desktop prompter');
    assert.deepEqual(await p.ask(request), { kind: 'remind', days: 3 });
    await p.tell!('You declined a mandatory update, so the program is being shut down.');
    const calls = await fsp.readFile(t.log, 'utf8');
    for (const choice of ['Install now', 'Install later', 'Remind me in 1 day', 'Remind me in 7 days', 'Decline', 'Do not ask me again']) assert.ok(calls.includes(choice), choice);
    assert.match(calls, /notify:You declined a mandatory update/);
  });

  it('a closed dialog is "later", never a refusal; a mandatory question offers no reminders', async () => {
    const t = await fakeTools('');
    const p = desktopPrompter({ DISPLAY: ':0', PATH: t.bin })!;
    assert.deepEqual(await p.ask({ ...request, mandatory: true }), { kind: 'later' });
    assert.doesNotMatch(await fsp.readFile(t.log, 'utf8'), /Remind me/);
  });

  it('no display or no tools: no desktop prompter; a given --answer always wins', async () => {
    const t = await fakeTools('Install now');
    assert.equal(desktopPrompter({ PATH: t.bin }), undefined);
    assert.equal(desktopPrompter({ DISPLAY: ':0', PATH: '/nonexistent' }), undefined);
    const p = createPrompter({ kind: 'decline' }, false, desktopPrompter({ DISPLAY: ':0', PATH: t.bin }));
    assert.deepEqual(await p.ask(request), { kind: 'decline' });
    assert.ok(createPrompter(undefined, false, undefined) instanceof FixedPrompter);
  });
});
