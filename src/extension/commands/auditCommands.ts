// Filter Audit… (who, what, when) and Clear Audit Filter.
import { AUDIT_ACTIONS, type AuditFilter } from '../auditText';
import type { AuditTreeProvider } from '../auditTree';
import { requireClient, type FleetServices } from '../services';

const PERIODS: readonly { label: string; hours: number }[] = [
  { label: 'Last hour', hours: 1 },
  { label: 'Last 24 hours', hours: 24 },
  { label: 'Last 7 days', hours: 24 * 7 },
  { label: 'Last 30 days', hours: 24 * 30 },
  { label: 'Any time', hours: 0 },
];

/** With an argument (tests, links): set that filter. Without: ask what to filter by, one dimension at a time. */
export async function filterAudit(svc: FleetServices, tree: AuditTreeProvider, arg?: AuditFilter): Promise<AuditFilter | undefined> {
  requireClient(svc);
  if (arg && typeof arg === 'object') {
    await tree.setFilter({ ...arg });
    return tree.filter;
  }
  const dimension = await svc.ui.pick([
    { label: 'Who…', description: tree.filter.actor ?? 'anyone', value: 'who' },
    { label: 'What…', description: AUDIT_ACTIONS.find((a) => a.action === tree.filter.action)?.label ?? 'everything', value: 'what' },
    { label: 'When…', description: tree.filter.since ? `since ${new Date(tree.filter.since).toLocaleString()}` : 'any time', value: 'when' },
    { label: 'Clear all filters', value: 'clear' },
  ], { title: 'Filter the Audit Log' });
  if (!dimension) return undefined;
  const next: AuditFilter = { ...tree.filter };
  if (dimension === 'clear') {
    await tree.setFilter({});
    return tree.filter;
  }
  if (dimension === 'who') {
    const who = await svc.ui.input({ title: 'Audit: who', prompt: 'The token name (as the audit log shows it); empty for anyone', value: tree.filter.actor ?? '' });
    if (who === undefined) return undefined;
    next.actor = who.trim() || undefined;
  } else if (dimension === 'what') {
    const what = await svc.ui.pick([{ label: 'Everything', value: '' }, ...AUDIT_ACTIONS.map((a) => ({ label: a.label, description: a.action, value: a.action }))], { title: 'Audit: what' });
    if (what === undefined) return undefined;
    next.action = what || undefined;
  } else {
    const hours = await svc.ui.pick(PERIODS.map((p) => ({ label: p.label, value: p.hours })), { title: 'Audit: when' });
    if (hours === undefined) return undefined;
    next.since = hours ? new Date(Date.now() - hours * 3_600_000).toISOString() : undefined;
  }
  await tree.setFilter(next);
  return tree.filter;
}
