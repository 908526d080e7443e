// Where updates come from: the fleet server (JSON check-in or the legacy check.ini) or a network share with
// version_info.xml (seed 002). The agent sees one interface and one decision shape: the server's CheckinResponse.
import type { Readable } from 'node:stream';
import type { ClientState } from '../core/types';
import type { CheckinResponse } from '../core/wire';
import type { Identity } from './identity';

export interface CheckContext {
  identity: Identity;
  /** The installed version. */
  version: string;
  state?: ClientState;
  deferredUntil?: string | null;
}

export interface PackageStream {
  stream: Readable;
  /** True when the bytes continue at the requested offset (HTTP 206); false when they start from byte 0. */
  resumed: boolean;
  /** Bytes the stream will deliver, when known. */
  length?: number;
}

export interface UpdateSource {
  /** For messages: "server http://…" or "share /mnt/updates". */
  readonly description: string;
  /**
   * The announcement, not the package, names the version (seed 002's share: raising <Current> reinstalls the same
   * package as that version).
   */
  readonly announcementNamesVersion?: boolean;
  check(ctx: CheckContext): Promise<CheckinResponse>;
  /** The package of a decision, from `offset` when the source supports it. */
  openPackage(decision: CheckinResponse, offset: number): Promise<PackageStream>;
}

/** The source cannot continue at the requested offset (HTTP 416): start over from byte 0. */
export class RangeNotSatisfiable extends Error {
  constructor() {
    super('The server cannot resume the download at this offset');
    this.name = 'RangeNotSatisfiable';
  }
}
