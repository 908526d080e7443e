// The policy preview at fleet scale: decide() once per class of clients that the rules cannot tell apart, not
// once per client. decide() sees a client only through its version, whether a "remind me later" is still
// running, and its rollout bucket for each release; clients equal in those three get the same action.
import { continueHash, decide, inRolloutBucket, ROLLOUT_BUCKETS, rolloutThreshold, stableHash, type DecisionClient } from './decide';
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
  /** version → (deferral and rollout bits: negative when deferring) → action. */
  private readonly actionByClass = new Map<string, Map<number | string, DecisionAction>>();
  private classes = 0;
  /** FNV-1a's state after each bucket release's `${release id}:` (inRollout hashes that, then the client id). */
  private readonly prefixStates: number[];
  private readonly scratch: number[];

  constructor(private readonly policy: Policy, private readonly releases: readonly Release[], private readonly now: Date, private readonly facts: FleetFacts) {
    this.bucketReleases = policy.rolloutPercent < 100 ? releases.filter((r) => r.state === 'approved') : [];
    // FNV-1a's hash is its running state: stableHash(prefix + id) continues from stableHash(prefix) over id.
    this.prefixStates = this.bucketReleases.map((r) => stableHash(`${r.id}:`));
    this.scratch = this.prefixStates.slice();
  }

  /** Whether a "remind me later" is still running at the preview's time. */
  deferring(deferredUntil: string | null | undefined): boolean {
    const until = deferredUntil ? Date.parse(deferredUntil) : NaN;
    return Number.isFinite(until) && until > this.now.getTime();
  }

  /**
   * The client's rollout membership, one character per release that can matter — inRollout()'s answers, hashed
   * from each release's prefix on (FNV-1a continues from the prefix's state: no string built per client).
   */
  rolloutMask(clientId: string): string {
    const n = this.bucketReleases.length;
    if (n === 0) return '';
    const percent = this.policy.rolloutPercent;
    if (percent <= 0) return '0'.repeat(n);
    return this.prefixStates.map((state) => (inRolloutBucket(continueHash(state, clientId), percent) ? '1' : '0')).join('');
  }

  /**
   * rolloutMask() as a number, bit k for release k (a database groups by it without a string made per client),
   * every release's hash continued in one pass over the id. Past 30 releases, the string itself.
   */
  rolloutBits(clientId: string): number | string {
    const states = this.prefixStates;
    const n = states.length;
    if (n === 0 || this.policy.rolloutPercent <= 0) return 0;
    if (n > 30) return this.rolloutMask(clientId);
    const threshold = rolloutThreshold(this.policy.rolloutPercent);
    const buckets = ROLLOUT_BUCKETS;
    const h = this.scratch;
    for (let k = 0; k < n; k++) h[k] = states[k];
    // decide.ts's fnvStep, written out: a call per character and release cost this loop five times its time.
    for (let i = 0; i < clientId.length; i++) {
      const c = clientId.charCodeAt(i);
      for (let k = 0; k < n; k++) h[k] = Math.imul(h[k] ^ c, 0x01000193) >>> 0;
    }
    let bits = 0;
    for (let k = 0; k < n; k++) if (h[k] % buckets < threshold) bits |= 1 << k;
    return bits;
  }

  /**
   * What tells a client's class apart among those on its version: the rollout bits, negative (or `d`-prefixed past
   * 30 releases) while a "remind me later" is running. Clients with the same version and key get the same action.
   */
  classKey(client: DecisionClient): number | string {
    const bits = this.rolloutBits(client.id);
    return this.deferring(client.deferredUntil) ? (typeof bits === 'number' ? -1 - bits : `d${bits}`) : bits;
  }

  add(client: DecisionClient): DecisionAction {
    return this.addClass(client, 1);
  }

  /** `n` clients of the class `representative` falls in (a database that grouped them already). */
  addClass(representative: DecisionClient, n: number): DecisionAction {
    // Two maps deep (version, then deferral and rollout bits): no key string is made per client, which at a quarter
    // of a million clients was most of a preview's time in JavaScript.
    let byVersion = this.actionByClass.get(representative.version);
    if (!byVersion) this.actionByClass.set(representative.version, (byVersion = new Map()));
    const key = this.classKey(representative);
    let action = byVersion.get(key);
    if (action === undefined) {
      action = decide(representative, this.policy, this.releases, this.now, this.facts).action;
      byVersion.set(key, action);
      this.classes++;
    }
    this.counts[action] += n;
    this.total += n;
    return action;
  }

  /** How many times decide() ran: the number of classes seen. */
  get decisions(): number {
    return this.classes;
  }
}
