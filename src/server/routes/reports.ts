// GET /api/v1/reports/clients.csv: streamed with csv-stringify, page by page, so a million rows never sit in
// memory. Seed 000: "which clients failed to upgrade and why" is ?state=failed.
import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { CsvQuery } from '../schemas';
import type { RouteContext } from './context';

export { CSV_COLUMNS } from '../heavy/csvReport';

export function reportRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { fleet, tokens } = ctx;
  app.get<{ Querystring: Static<typeof CsvQuery> }>('/api/v1/reports/clients.csv', { preHandler: tokens.guard('viewer'), schema: { tags: ['reports'], querystring: CsvQuery } }, async (req, reply) => {
    const { state, q } = req.query;
    const groupId = req.query.group ? (await fleet.resolveGroup(req.query.group)).id : undefined;
    const groupNames = Object.fromEntries((await fleet.allGroups()).map((g) => [g.id, g.name]));
    // Written by the heavy-read worker, a batch at a time as the response drains.
    const csv = fleet.heavy.csv({ filter: { state, q, groupId }, groupNames });
    const name = state ? `clients-${state}.csv` : 'clients.csv';
    reply.header('Content-Type', 'text/csv; charset=utf-8');
    reply.header('Content-Disposition', `attachment; filename="${name}"`);
    return reply.send(csv);
  });
}
