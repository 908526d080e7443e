// Real Unix users and groups for the tests that check who may do what (run as root): created with useradd and
// groupadd under names unique to this test process, and removed again by removeAll(). A run that was killed before
// removeAll() leaves its users and groups behind: the next run removes those of processes that no longer exist.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface UnixUser {
  name: string;
  uid: number;
  gid: number;
}

const made: { users: string[]; groups: string[] } = { users: [], groups: [] };
let counter = 0;

/** uf<label><pid>x<n>: the label is letters, so the digits before the x are the process that made it. */
const TEST_NAME = /^uf[a-z]+(\d+)x\d+$/;

function uniqueName(label: string): string {
  if (!/^[a-z]{1,8}$/.test(label)) throw new Error(`a test user's label is 1-8 lower-case letters: ${label}`);
  if (counter === 0) removeLeftovers();
  return `uf${label}${process.pid}x${++counter}`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Names in a passwd or group file that a test process made, where that process is gone. */
function leftoverNames(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n').map((line) => line.split(':')[0])
    .filter((name) => { const m = TEST_NAME.exec(name); return !!m && !alive(Number(m[1])); });
}

/** Users and then groups that killed test runs left behind (userdel also removes a user's own group). */
export function removeLeftovers(): void {
  for (const u of leftoverNames('/etc/passwd')) execFileSync('userdel', [u], { stdio: 'ignore' });
  for (const g of leftoverNames('/etc/group')) {
    try {
      execFileSync('groupdel', [g], { stdio: 'ignore' });
    } catch {
      // already gone with its user
    }
  }
}

function idOf(args: string[]): number {
  return Number(execFileSync('id', args, { encoding: 'utf8' }).trim());
}

export function createGroup(label: string): { name: string; gid: number } {
  const name = uniqueName(label);
  execFileSync('groupadd', [name]);
  made.groups.push(name);
  const gid = Number(execFileSync('getent', ['group', name], { encoding: 'utf8' }).split(':')[2]);
  return { name, gid };
}

/** A user without a login shell or home; `groups` become supplementary groups. */
export function createUser(label: string, groups: string[] = []): UnixUser {
  const name = uniqueName(label);
  execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', '--user-group', ...(groups.length ? ['--groups', groups.join(',')] : []), name]);
  made.users.push(name);
  return { name, uid: idOf(['-u', name]), gid: idOf(['-g', name]) };
}

export function removeAll(): void {
  for (const u of made.users.splice(0)) execFileSync('userdel', [u], { stdio: 'ignore' });
  for (const g of made.groups.splice(0)) {
    try {
      execFileSync('groupdel', [g], { stdio: 'ignore' });
    } catch {
      // already gone with its user
    }
  }
}
