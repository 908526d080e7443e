// What every route module gets: the use cases, the token guard and the event hub.
import type { TokenService } from '../auth';
import type { ClientIdentities } from '../clientIdentities';
import type { EventHub } from '../events';
import type { Fleet } from '../fleet';
import type { Uploads } from '../uploads';
import type { DecisionSigner } from '../decisionSigner';

export interface RouteContext {
  fleet: Fleet;
  tokens: TokenService;
  /** Enrollment, client credentials, admission, decommission. */
  identities: ClientIdentities;
  /** Keep a rotated enrollment token where the first one was (DIR/enroll.token). */
  saveEnrollToken?: (secret: string) => Promise<void>;
  events: EventHub;
  uploads: Uploads;
  /** Base URL agents download from; when unset, the URL the agent used to reach this server. */
  publicUrl?: string;
  version: string;
  /** Signs the check-in answers that name a version to install. */
  signer: DecisionSigner;
}

export const actorOf = (req: { caller?: { name: string } }): { name: string } => ({ name: req.caller?.name ?? 'unknown' });
