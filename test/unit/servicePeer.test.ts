// Table-driven: who may talk to the privileged update service, from the peer's uid and groups (SO_PEERCRED).
import assert from 'node:assert/strict';
import { peerVerdict, type Peer, type PeerPolicy, type PeerVerdict } from '../../src/core/servicePeer';

const peer = (uid: number, gid: number, groups: number[] = [gid]): Peer => ({ pid: 4242, uid, gid, groups });

describe('peerVerdict: who may ask and answer on the service\'s socket', () => {
  const cases: Array<[string, Peer, PeerPolicy, PeerVerdict]> = [
    ['root, with nothing configured', peer(0, 0), { allowUsers: [], allowGroups: [] }, { allowed: true, as: 'root' }],
    ['root, whatever the lists say', peer(0, 0), { allowUsers: [1000], allowGroups: [1500] }, { allowed: true, as: 'root' }],
    ['a listed user', peer(1000, 1000), { allowUsers: [1000], allowGroups: [] }, { allowed: true, as: 'listed-user' }],
    ['a member by primary group', peer(65534, 65534, []), { allowUsers: [], allowGroups: [65534] }, { allowed: true, as: 'group-member' }],
    ['a member by a supplementary group', peer(1001, 1001, [1001, 1500]), { allowUsers: [], allowGroups: [1500] }, { allowed: true, as: 'group-member' }],
    ['a user, with nothing configured', peer(1000, 1000), { allowUsers: [], allowGroups: [] },
      { allowed: false, reason: 'the update service refuses uid 1000 (pid 4242): only root may ask and answer (the service was started without --allow-user or --socket-group)' }],
    ['a user outside the group', peer(1002, 1002, [1002, 27]), { allowUsers: [], allowGroups: [1500] },
      { allowed: false, reason: 'the update service refuses uid 1002 (pid 4242): only root and members of group 1500 may ask and answer' }],
    ['a user neither listed nor a member', peer(1002, 1002), { allowUsers: [1000, 1001], allowGroups: [1500, 1501] },
      { allowed: false, reason: 'the update service refuses uid 1002 (pid 4242): only root, uids 1000, 1001 and members of groups 1500, 1501 may ask and answer' }],
    ['a listed gid is not a listed uid', peer(1500, 1002), { allowUsers: [], allowGroups: [1500] },
      { allowed: false, reason: 'the update service refuses uid 1500 (pid 4242): only root and members of group 1500 may ask and answer' }],
  ];
  for (const [name, p, policy, want] of cases) it(name, () => assert.deepEqual(peerVerdict(p, policy), want));
});
