// What /agent/v1/checkin answers: the decision in the wire shape the agent reads.
import type { Decision, Policy } from './types';
import type { CheckinResponse } from './wire';

/** Checks are never more frequent than this, even when a window opens sooner (protects the server). */
export const MIN_NEXT_CHECK_SECONDS = 60;

export function toCheckinResponse(decision: Decision, policy: Policy, now: Date): CheckinResponse {
  let nextCheckSeconds = policy.checkIntervalSeconds;
  if (decision.notBefore) {
    // Come back when the window opens or the deferral ends, if that is sooner than the interval.
    const until = Math.ceil((Date.parse(decision.notBefore) - now.getTime()) / 1000);
    if (Number.isFinite(until)) nextCheckSeconds = Math.min(nextCheckSeconds, Math.max(MIN_NEXT_CHECK_SECONDS, until));
  }
  const res: CheckinResponse = {
    action: decision.action,
    reason: decision.reason,
    message: decision.message,
    nextCheckSeconds,
    startupDelaySeconds: policy.startupDelaySeconds,
  };
  if (decision.notBefore) res.notBefore = decision.notBefore;
  const r = decision.release;
  if (r && decision.action !== 'none') {
    res.version = r.version;
    res.mandatory = r.mandatory;
    if (decision.action !== 'manual') {
      if (r.artifact.url) res.url = r.artifact.url;
      if (r.artifact.sha256) res.sha256 = r.artifact.sha256;
      if (r.artifact.size !== undefined) res.size = r.artifact.size;
      if (r.artifact.signature) res.signature = r.artifact.signature;
    } else if (r.artifact.url) {
      res.url = r.artifact.url; // where to get the installer for a manual install
    }
    res.delivery = decision.action === 'force' ? 'forced' : 'on-demand';
    if (decision.action === 'offer') res.remindOptionsDays = [...policy.remindOptionsDays];
  } else if (r && (decision.reason === 'outside-window' || decision.reason === 'deferred-until')) {
    res.version = r.version; // what waits, so the agent can say so
  }
  return res;
}
