// Client admission and decommission (issue 9): the Pending list with accept / reject, decommissioning a client,
// and rotating the enrollment token (enrolled clients keep their credentials).
import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { ClientIdParams, EnrollmentsQuery } from '../schemas';
import { actorOf, type RouteContext } from './context';

export function enrollmentRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { tokens, identities } = ctx;
  app.get<{ Querystring: Static<typeof EnrollmentsQuery> }>('/api/v1/enrollments', { preHandler: tokens.guard('viewer'), schema: { tags: ['clients'], querystring: EnrollmentsQuery } }, async (req) => {
    const { items, total } = await identities.list(req.query.status ?? 'pending', req.query.limit ?? 200);
    return { items, total, admission: identities.admission };
  });
  app.post<{ Params: Static<typeof ClientIdParams> }>('/api/v1/enrollments/:id/accept', { preHandler: tokens.guard('operator'), schema: { tags: ['clients'], params: ClientIdParams } }, async (req) =>
    identities.decide('accept', req.params.id, actorOf(req)));
  app.post<{ Params: Static<typeof ClientIdParams> }>('/api/v1/enrollments/:id/reject', { preHandler: tokens.guard('operator'), schema: { tags: ['clients'], params: ClientIdParams } }, async (req) =>
    identities.decide('reject', req.params.id, actorOf(req)));
  app.post<{ Params: Static<typeof ClientIdParams> }>('/api/v1/clients/:id/decommission', { preHandler: tokens.guard('operator'), schema: { tags: ['clients'], params: ClientIdParams } }, async (req) =>
    identities.decommission(req.params.id, actorOf(req)));
  // The new secret is in the answer once (and in DIR/enroll.token); the old enrollment token stops working at once.
  app.post('/api/v1/enrollment-token/rotate', { preHandler: tokens.guard('admin'), schema: { tags: ['tokens'] } }, async (req) => {
    const { secret, record } = await tokens.rotateEnrollment();
    await ctx.saveEnrollToken?.(secret);
    await ctx.fleet.audit(actorOf(req), 'token.rotate-enrollment', record.name, { tokenId: record.id });
    return { token: secret, id: record.id, name: record.name, createdAt: record.createdAt };
  });
}
