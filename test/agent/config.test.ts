// The command line and the configuration file: precedence, paths, the token kept out of every output.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { BOOL_FLAGS, describeConfig, loadConfig, parseArgs, requireFor, VALUE_FLAGS } from '../../src/agent/config';
import { USAGE } from '../../src/agent/cli';
import { EXIT, UsageError } from '../../src/agent/errors';
import { firstIPv4, loadIdentity } from '../../src/agent/identity';
import { PassThrough } from 'node:stream';
import { createPrompter, interpretReply, parseAnswer, TerminalPrompter } from '../../src/agent/prompter';
import { machine, runCli, tempDir, cleanupTempDirs } from './helpers';

describe('agent: command line and configuration', function () {
  this.timeout(20_000);
  after(cleanupTempDirs);

  it('parses commands and flags in both spellings', () => {
    const a = parseArgs(['check', '--server', 'http://h:1', '--answer=remind:3', '--json']);
    assert.equal(a.command, 'check');
    assert.equal(a.flags.get('server'), 'http://h:1');
    assert.equal(a.flags.get('answer'), 'remind:3');
    assert.equal(a.flags.get('json'), true);
    assert.equal(parseArgs([]).command, 'help');
    assert.throws(() => parseArgs(['check', '--bogus']), UsageError);
    assert.throws(() => parseArgs(['check', '--server']), /needs a value/);
    assert.throws(() => parseArgs(['check', '--name', 'a', '--name', 'b']), /twice/);
    assert.throws(() => parseArgs(['frobnicate']), /Unknown command/);
  });

  it('reads answers: now, later, remind:N, decline, never', () => {
    assert.deepEqual(parseAnswer('remind:7'), { kind: 'remind', days: 7 });
    assert.deepEqual(parseAnswer('NEVER'), { kind: 'never' });
    assert.throws(() => parseAnswer('remind:0'), /between 1 and 90/);
    assert.throws(() => parseAnswer('maybe'), UsageError);
    assert.deepEqual(interpretReply('3', { mandatory: false, remindOptionsDays: [1, 3, 7] }), { kind: 'remind', days: 3 });
    assert.equal(interpretReply('never', { mandatory: true, remindOptionsDays: [] }), undefined, 'no "never" for a mandatory update');
  });

  it('asks on the terminal until the reply means something', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    let retried = false;
    output.on('data', (d: Buffer) => {
      shown += d.toString();
      // The second reply goes in once the prompter has asked again.
      if (!retried && shown.includes('Please answer')) {
        retried = true;
        setImmediate(() => input.write('3\n'));
      }
    });
    const answer = new TerminalPrompter(input, output).ask({ phase: 'download', version: '2.0.0', installedVersion: '1.0.0', mandatory: false, remindOptionsDays: [1, 3, 7], message: '2.0.0 is available.' });
    input.write('perhaps\n');
    assert.deepEqual(await answer, { kind: 'remind', days: 3 });
    assert.match(shown, /Update 2\.0\.0 is available \(installed: 1\.0\.0\)/);
    assert.match(shown, /\[3\] remind me in 3 days/);
    assert.match(shown, /Please answer/);
  });

  it('with nobody at a terminal and no --answer, the answer is "later"', async () => {
    const p = createPrompter(undefined, false);
    assert.deepEqual(await p.ask({ phase: 'download', version: '2', installedVersion: '1', mandatory: false, remindOptionsDays: [], message: '' }), { kind: 'later' });
  });

  it('layers defaults < file < flags, resolves file paths from the file, and reads the token file', async () => {
    const dir = await tempDir('cfg');
    await fsp.writeFile(join(dir, 'token'), 'secret-token\n');
    await fsp.writeFile(join(dir, 'agent.json'), JSON.stringify({ server: 'https://file:1', tokenFile: 'token', install: 'app', answer: 'decline', protocol: 'ini' }));
    const c = await loadConfig(parseArgs(['check', '--state', dir, '--answer', 'now']), {}, '/');
    assert.equal(c.server, 'https://file:1');
    assert.equal(c.token, 'secret-token');
    assert.equal(c.install, join(dir, 'app'));
    assert.deepEqual(c.answer, { kind: 'now' }, 'the flag wins');
    assert.equal(c.protocol, 'ini');
    assert.equal(c.configFile, join(dir, 'agent.json'));
    assert.doesNotMatch(JSON.stringify(describeConfig(c)), /secret-token/);

    await fsp.writeFile(join(dir, 'agent.json'), JSON.stringify({ sever: 'typo' }));
    await assert.rejects(loadConfig(parseArgs(['check', '--state', dir]), {}, '/'), /unknown setting "sever"/);
    await assert.rejects(loadConfig(parseArgs(['check', '--config', join(dir, 'missing.json')]), {}, '/'), /does not exist/);
  });

  it('says what a command is missing', async () => {
    const dir = await tempDir('cfg');
    const c = await loadConfig(parseArgs(['check', '--state', dir]), {}, '/');
    assert.throws(() => requireFor('check', c), /--install/);
    const c2 = await loadConfig(parseArgs(['check', '--state', dir, '--install', 'x', '--server', 'https://h:1']), {}, '/');
    assert.throws(() => requireFor('check', c2), /enrollment token/);
    await assert.rejects(loadConfig(parseArgs(['check', '--state', dir, '--server', 'ftp://h']), {}, '/'), /http/);
  });

  it('keeps its client id across runs and reports machine facts', async () => {
    const dir = await tempDir('id');
    const a = await loadIdentity(dir);
    const b = await loadIdentity(dir, 'Front desk');
    assert.equal(a.clientId, b.clientId);
    assert.match(a.clientId, /^[0-9a-f-]{36}$/);
    assert.equal(b.name, 'Front desk');
    assert.equal(firstIPv4({ lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true } as never], eth0: [{ address: '10.1.2.3', family: 'IPv4', internal: false } as never] }), '10.1.2.3');
  });

  it('exits 2 on a usage error and never prints the token', async () => {
    const r = await runCli(['check', '--install', '/nonexistent']);
    assert.equal(r.code, EXIT.usage);
    assert.match(r.stderr, /Where do updates come from/);
    const m = await machine('1.0.0');
    const s = await runCli(['status', '--json', '--install', m.install, '--state', m.state, '--server', 'http://127.0.0.1:9', '--token', 'very-secret-value']);
    assert.equal(s.code, EXIT.ok, s.stderr);
    assert.doesNotMatch(s.stdout + s.stderr, /very-secret-value/);
    assert.equal(JSON.parse(s.stdout).config.token, '(set)');
  });

  it('exits 1 with a readable message when the server cannot be reached', async () => {
    const m = await machine('1.0.0', 'tok');
    const r = await runCli(['check', '--server', 'http://127.0.0.1:9', '--token-file', m.tokenFile, '--install', m.install, '--state', m.state]);
    assert.equal(r.code, EXIT.failure);
    assert.match(r.stderr, /Enrollment failed: cannot reach http:\/\/127\.0\.0\.1:9\/agent\/v1\/enroll \(ECONNREFUSED\)/);
  });
});

describe('agent: --help names every option', () => {
  it('each flag the parser accepts is in the usage text', () => {
    const missing = [...VALUE_FLAGS, ...BOOL_FLAGS].filter((f) => f !== 'help' && !USAGE.includes(`--${f}`));
    assert.deepEqual(missing, []);
  });
});
