// Real Unix users and groups for the tests that check who may do what (run as root): created with useradd and
// groupadd under names unique to this test process, and removed again by removeAll().
import { execFileSync } from 'node:child_process';

export interface UnixUser {
  name: string;
  uid: number;
  gid: number;
}

const made: { users: string[]; groups: string[] } = { users: [], groups: [] };
let counter = 0;

function uniqueName(label: string): string {
  return `uf${label}${process.pid}${++counter}`.slice(0, 31);
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
