// /api/v1/groups: groups, their policy, and the policy preview (a dry run of the check-in's own decision).
import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { CreateGroupBody, PolicySchema, RefParams } from '../schemas';
import { actorOf, type RouteContext } from './context';

type Ref = { Params: Static<typeof RefParams> };

export function groupRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { fleet, tokens } = ctx;
  app.get('/api/v1/groups', { preHandler: tokens.guard('viewer'), schema: { tags: ['groups'] } }, async () => ({ items: await fleet.groups.views() }));
  app.get<Ref>('/api/v1/groups/:id', { preHandler: tokens.guard('viewer'), schema: { tags: ['groups'], params: RefParams } }, async (req) => fleet.groups.view(req.params.id));
  app.post<{ Body: Static<typeof CreateGroupBody> }>('/api/v1/groups', { preHandler: tokens.guard('admin'), schema: { tags: ['groups'], body: CreateGroupBody } }, async (req, reply) => {
    reply.status(201);
    return fleet.groups.create(req.body, actorOf(req));
  });
  app.get<Ref>('/api/v1/groups/:id/policy', { preHandler: tokens.guard('viewer'), schema: { tags: ['policy'], params: RefParams } }, async (req) => (await fleet.resolveGroup(req.params.id)).policy);
  app.put<Ref & { Body: Static<typeof PolicySchema> }>('/api/v1/groups/:id/policy', { preHandler: tokens.guard('admin'), schema: { tags: ['policy'], params: RefParams, body: PolicySchema } }, async (req) =>
    fleet.groups.putPolicy(req.params.id, req.body, actorOf(req)));
  // Anyone who can read may ask what a policy would do; nothing is stored.
  app.post<Ref & { Body: Static<typeof PolicySchema> }>('/api/v1/groups/:id/policy/preview', { preHandler: tokens.guard('viewer'), schema: { tags: ['policy'], params: RefParams, body: PolicySchema } }, async (req) =>
    fleet.groups.preview(req.params.id, req.body));
}
