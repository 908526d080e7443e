// Who may talk to the privileged update service over its local socket. The kernel tells the service the peer's
// uid and gid (SO_PEERCRED); the user's groups come from the system's group database. Root may always connect; a
// user listed in allowUsers, or a member of a group in allowGroups, may ask what is pending, answer and say the
// program exited; nobody else may say anything. With nothing configured only root may connect.

export interface Peer {
  pid: number;
  uid: number;
  gid: number;
  /** Every group of the peer's user (the primary gid included). */
  groups: readonly number[];
}

export interface PeerPolicy {
  allowUsers: readonly number[];
  allowGroups: readonly number[];
}

export type PeerVerdict =
  | { allowed: true; as: 'root' | 'listed-user' | 'group-member' }
  | { allowed: false; reason: string };

export function peerVerdict(peer: Peer, policy: PeerPolicy): PeerVerdict {
  if (peer.uid === 0) return { allowed: true, as: 'root' };
  if (policy.allowUsers.includes(peer.uid)) return { allowed: true, as: 'listed-user' };
  const groups = new Set([peer.gid, ...peer.groups]);
  if (policy.allowGroups.some((g) => groups.has(g))) return { allowed: true, as: 'group-member' };
  return { allowed: false, reason: `the update service refuses uid ${peer.uid} (pid ${peer.pid}): ${whoMay(policy)}` };
}

/** "only root, uid 1000 and members of group 1500 may ask and answer", in words for the refused user. */
export function whoMay(policy: PeerPolicy): string {
  const parts = ['root'];
  if (policy.allowUsers.length > 0) parts.push(`${policy.allowUsers.length === 1 ? 'uid' : 'uids'} ${policy.allowUsers.join(', ')}`);
  if (policy.allowGroups.length > 0) parts.push(`members of ${policy.allowGroups.length === 1 ? 'group' : 'groups'} ${policy.allowGroups.join(', ')}`);
  const list = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
  const hint = parts.length === 1 ? ' (the service was started without --allow-user or --socket-group)' : '';
  return `only ${list} may ask and answer${hint}`;
}
