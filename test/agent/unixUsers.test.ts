// The test helper that makes real Unix users (test/helpers/unixUsers.ts): a run killed before it removed its users
// and groups leaves them behind; the next run removes those of processes that are gone, and no one else's.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createUser, removeAll, removeLeftovers } from '../helpers/unixUsers';

const exists = (db: 'passwd' | 'group', name: string) => spawnSync('getent', [db, name]).status === 0;

describe('test helper: real Unix users left by a killed run', function () {
  before(function () {
    if (typeof process.getuid !== 'function' || process.getuid() !== 0) this.skip(); // useradd needs root
  });
  after(() => removeAll());

  it('removes the users and groups of a process that is gone, and keeps those of one that runs', () => {
    // A process that has exited: its pid names what a killed run would have left.
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const deadPid = Number(gone.stdout.trim());
    assert.ok(deadPid > 0);
    // The helper's first user sweeps once; made after it, the dead run's names are still there for the check below.
    const mine = createUser('kept');
    const user = `ufleft${deadPid}x1`;
    const group = `ufgrp${deadPid}x2`;
    execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', '--user-group', user]);
    execFileSync('groupadd', [group]);
    assert.ok(exists('passwd', user) && exists('group', user) && exists('group', group) && exists('passwd', mine.name));

    removeLeftovers();
    assert.equal(exists('passwd', user), false, 'the dead run\'s user');
    assert.equal(exists('group', user), false, 'its own group');
    assert.equal(exists('group', group), false, 'the dead run\'s group');
    assert.equal(exists('passwd', mine.name), true, 'a user of this running process');
  });
});
