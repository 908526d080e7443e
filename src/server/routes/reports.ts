// GET /api/v1/reports/clients.csv: streamed with csv-stringify, page by page, so a million rows never sit in
// memory. Seed 000: "which clients failed to upgrade and why" is ?state=failed.
import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { stringify } from 'csv-stringify';
import { Readable } from 'node:stream';
import { CSV_STRINGIFY_OPTIONS, neutraliseFormula } from '../../core/csvSafe';
import { CsvQuery } from '../schemas';
import type { RouteContext } from './context';

export const CSV_COLUMNS = ['computer', 'name', 'ip', 'last user', 'group', 'version', 'target version', 'state', 'reason', 'last seen'];

export function reportRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { fleet, tokens } = ctx;
  app.get<{ Querystring: Static<typeof CsvQuery> }>('/api/v1/reports/clients.csv', { preHandler: tokens.guard('viewer'), schema: { tags: ['reports'], querystring: CsvQuery } }, async (req, reply) => {
    const { state, q } = req.query;
    const groupId = req.query.group ? (await fleet.resolveGroup(req.query.group)).id : undefined;
    const groups = new Map((await fleet.allGroups()).map((g) => [g.id, g.name]));
    const rows = Readable.from((async function* () {
      for await (const batch of fleet.store.iterateClients({ state, q, groupId })) {
        for (const c of batch) {
          // Every cell through the formula guard: names and reasons come from client machines.
          yield [c.computer, c.name, c.ip, c.user, groups.get(c.groupId) ?? c.groupId, c.version, c.targetVersion ?? '', c.state, c.reason ?? '', c.lastSeen].map(neutraliseFormula);
        }
      }
    })());
    const csv = stringify({ ...CSV_STRINGIFY_OPTIONS, header: true, columns: CSV_COLUMNS });
    rows.on('error', (err) => csv.destroy(err));
    const name = state ? `clients-${state}.csv` : 'clients.csv';
    reply.header('Content-Type', 'text/csv; charset=utf-8');
    reply.header('Content-Disposition', `attachment; filename="${name}"`);
    return reply.send(rows.pipe(csv));
  });
}
