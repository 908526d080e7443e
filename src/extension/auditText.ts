// How audit entries read in the Audit view (no vscode import: unit-tested): who did what to what, and the
// details — a policy's diff field by field, a move, a download, a decision with its note.
import type { AuditEntry } from '../core/types';
import { POLICY_MODE_LABEL } from './presentation';

export interface AuditFilter {
  actor?: string;
  action?: string;
  /** ISO-8601 lower bound. */
  since?: string;
}

export const AUDIT_ACTIONS: readonly { action: string; label: string }[] = [
  { action: 'release.approve', label: 'Approvals' },
  { action: 'release.download', label: 'Test downloads' },
  { action: 'policy.update', label: 'Policy edits' },
  { action: 'client.move', label: 'Client moves' },
  { action: 'release.rollback', label: 'Rollbacks' },
  { action: 'release.revoke', label: 'Revocations' },
  { action: 'release.retire', label: 'Retirements' },
  { action: 'rollout.', label: 'Rollouts (halted, paused, resumed, promoted)' },
  { action: 'release.', label: 'Every release action' },
];

const VERB: Record<string, string> = {
  'release.register': 'registered',
  'release.upload': 'uploaded the package of',
  'release.download': 'downloaded for testing',
  'release.approve': 'approved',
  'release.revoke': 'revoked',
  'release.retire': 'retired',
  'release.rollback': 'rolled back',
  'release.edit': 'edited',
  'policy.update': 'changed the policy of',
  'group.create': 'created the group',
  'client.move': 'moved',
  'token.create': 'created the token',
  'token.revoke': 'revoked the token',
  'rollout.halt': 'halted the rollout of',
  'rollout.pause': 'paused the rollout of',
  'rollout.resume': 'resumed the rollout of',
  'rollout.promote': 'promoted',
};

export function auditTitle(e: AuditEntry): string {
  return `${e.actor} ${VERB[e.action] ?? e.action} ${e.target}`;
}

function show(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  if (Array.isArray(v)) return v.join(', ');
  if (typeof v === 'object') {
    const w = v as { start?: string; end?: string; timeZone?: string };
    if (w.start && w.end) return `${w.start}–${w.end} ${w.timeZone ?? ''}`.trim();
    return JSON.stringify(v);
  }
  if (typeof v === 'string' && v.length > 80) return v.slice(0, 77) + '…';
  return String(v);
}

/** "mode: Auto Upgrade → Only upgrade to", one line per changed field. */
export function policyDiff(before: object | undefined, after: object | undefined): string[] {
  if (!before || !after) return [];
  const b0 = before as Record<string, unknown>;
  const a0 = after as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const out: string[] = [];
  for (const k of keys) {
    const a = b0[k];
    const b = a0[k];
    if (JSON.stringify(a ?? null) === JSON.stringify(b ?? null)) continue;
    const label = (x: unknown) => (k === 'mode' && typeof x === 'string' && x in POLICY_MODE_LABEL ? POLICY_MODE_LABEL[x as keyof typeof POLICY_MODE_LABEL] : show(x));
    out.push(`${k}: ${label(a)} → ${label(b)}`);
  }
  return out;
}

/** The detail lines under an entry. */
export function auditDetails(e: AuditEntry, groupName: (id: string) => string | undefined = () => undefined): string[] {
  let d: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(e.details || '{}') as unknown;
    if (parsed && typeof parsed === 'object') d = parsed as Record<string, unknown>;
  } catch {
    return e.details ? [e.details] : [];
  }
  const lines: string[] = [];
  switch (e.action) {
    case 'policy.update': {
      const diff = policyDiff(d.before as Record<string, unknown>, d.after as Record<string, unknown>);
      lines.push(...(diff.length ? diff : ['no field changed']));
      break;
    }
    case 'client.move':
      lines.push(`from ${show(groupName(String(d.from)) ?? d.from)} to ${show(groupName(String(d.to)) ?? d.to)}`);
      break;
    case 'release.download':
      if (d.sha256) lines.push(`sha256 ${String(d.sha256).slice(0, 16)}…`);
      break;
    case 'release.rollback':
      lines.push(`to ${show(d.to)}${d.basis === 'history' ? ' (where its clients came from)' : ''}, ${show(d.affectedClients)} clients affected${d.revivedRetired ? '; the retired target was approved again' : ''}`);
      break;
    case 'rollout.halt':
      lines.push(`in ${show(d.group)}: ${show(d.reason)}`);
      break;
    case 'rollout.pause':
      lines.push(`in ${show(d.group)}`);
      break;
    case 'rollout.resume': {
      const reset = d.reset as { attempted?: number; failed?: number } | undefined;
      lines.push(`in ${show(d.group)}`);
      if (reset) lines.push(`failure count reset: ${show(reset.failed)} failed of ${show(reset.attempted)} attempts no longer count`);
      break;
    }
    case 'rollout.promote':
      lines.push(`to ${show(d.group)}, after its ring ${show(d.ring)}`);
      break;
    case 'release.upload':
      lines.push(`${show(d.size)} bytes, sha256 ${String(d.sha256 ?? '').slice(0, 16)}…`);
      break;
    case 'release.edit':
      for (const [k, v] of Object.entries(d)) {
        const c = v as { before?: unknown; after?: unknown };
        lines.push(`${k}: ${show(c.before)} → ${show(c.after)}`);
      }
      break;
    default:
      if (d.from !== undefined && d.to !== undefined) lines.push(`${show(d.from)} → ${show(d.to)}`);
  }
  if (typeof d.note === 'string' && d.note) lines.push(`note: ${d.note}`);
  return lines;
}

export function describeFilter(f: AuditFilter, now = new Date()): string {
  const parts: string[] = [];
  if (f.actor) parts.push(`by ${f.actor}`);
  if (f.action) parts.push(AUDIT_ACTIONS.find((a) => a.action === f.action)?.label.toLowerCase() ?? f.action);
  if (f.since) {
    const h = Math.round((now.getTime() - Date.parse(f.since)) / 3_600_000);
    parts.push(h <= 1 ? 'last hour' : h < 48 ? `last ${h} hours` : `last ${Math.round(h / 24)} days`);
  }
  return parts.join(' · ');
}
