// The policy preview at fleet scale: decide() once per class of clients that the rules cannot tell apart, not
// once per client. decide() sees a client only through its version, whether a "remind me later" is still
// running, and its rollout bucket for each release; clients equal in those three get the same action.
import { decide, inRollout, type DecisionClient } from './decide';
import type { DecisionAction, FleetFacts, Policy, Release } from './types';

export type PreviewCounts = Record<DecisionAction, number>;

export function emptyPreviewCounts(): PreviewCounts {
  return { none: 0, offer: 0, force: 0, downgrade: 0, manual: 0 };
}

/**
 * Counts clients by the action decide() gives them, deciding once per class. Feed clients with add(); read
 * counts and total at the end. Exactly the per-client result (a test checks it on random fleets).
 */
export class PreviewTally {
  readonly counts: PreviewCounts = emptyPreviewCounts();
  total = 0;
  /** Releases whose rollout bucket can matter: a percentage below 100 only ever tests approved releases. */
  private readonly bucketReleases: readonly Release[];
  private readonly actionByClass = new Map<string, DecisionAction>();

  constructor(private readonly policy: Policy, private readonly releases: readonly Release[], private readonly now: Date, private readonly facts: FleetFacts) {
    this.bucketReleases = policy.rolloutPercent < 100 ? releases.filter((r) => r.state === 'approved') : [];
  }

  /** The class a client falls in: version, deferral running or not, and its rollout membership per release. */
  classOf(client: DecisionClient): string {
    const until = client.deferredUntil ? Date.parse(client.deferredUntil) : NaN;
    const deferred = Number.isFinite(until) && until > this.now.getTime() ? 'd' : '-';
    let buckets = '';
    for (const r of this.bucketReleases) buckets += inRollout(client.id, r.id, this.policy.rolloutPercent) ? '1' : '0';
    return `${client.version}\u0000${deferred}\u0000${buckets}`;
  }

  add(client: DecisionClient): DecisionAction {
    const key = this.classOf(client);
    let action = this.actionByClass.get(key);
    if (action === undefined) {
      action = decide(client, this.policy, this.releases, this.now, this.facts).action;
      this.actionByClass.set(key, action);
    }
    this.counts[action]++;
    this.total++;
    return action;
  }

  /** How many times decide() ran: the number of classes seen. */
  get decisions(): number {
    return this.actionByClass.size;
  }
}
