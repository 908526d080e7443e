// /api/v1/clients: keyword search (literal text, no wildcards), paged; one client with history; move to a group.
import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { ClientsQuery, MoveClientBody, RefParams } from '../schemas';
import { actorOf, type RouteContext } from './context';

export function clientRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { fleet, tokens } = ctx;
  app.get<{ Querystring: Static<typeof ClientsQuery> }>('/api/v1/clients', { preHandler: tokens.guard('viewer'), schema: { tags: ['clients'], querystring: ClientsQuery } }, async (req) =>
    fleet.pageClients(req.query));
  app.get<{ Params: Static<typeof RefParams> }>('/api/v1/clients/:id', { preHandler: tokens.guard('viewer'), schema: { tags: ['clients'], params: RefParams } }, async (req) =>
    fleet.clientDetail(req.params.id));
  app.patch<{ Params: Static<typeof RefParams>; Body: Static<typeof MoveClientBody> }>('/api/v1/clients/:id', { preHandler: tokens.guard('operator'), schema: { tags: ['clients'], params: RefParams, body: MoveClientBody } }, async (req) =>
    fleet.moveClient(req.params.id, req.body.groupId, actorOf(req)));
}
