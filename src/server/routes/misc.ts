// Health, summary, the event stream, the audit log, tokens and the OpenAPI document.
import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { ApiError } from '../errors';
import { AuditQuery, CreateTokenBody, FleetSettingsBody, RefParams } from '../schemas';
import { actorOf, type RouteContext } from './context';

export function miscRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { fleet, tokens, events } = ctx;
  app.get('/api/v1/health', { schema: { tags: ['meta'] } }, async () => ({ status: 'ok', version: ctx.version, store: fleet.store.dialect }));
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/api/v1/summary', { preHandler: tokens.guard('viewer'), schema: { tags: ['meta'] } }, async () => fleet.summary());

  // Fleet-wide settings: seed 000's minimum auto-upgrade version. Anyone may read it; only an admin changes it.
  app.get('/api/v1/settings', { preHandler: tokens.guard('viewer'), schema: { tags: ['meta'] } }, async () => fleet.fleetSettings());
  app.put<{ Body: Static<typeof FleetSettingsBody> }>('/api/v1/settings', { preHandler: tokens.guard('admin'), schema: { tags: ['meta'], body: FleetSettingsBody } }, async (req) =>
    fleet.putFleetSettings(req.body, actorOf(req)));

  app.get('/api/v1/events', { preHandler: tokens.guard('viewer'), schema: { tags: ['meta'] } }, async (req, reply) => {
    // Over a cap: the 429 / 503 goes out as an ordinary error before the stream starts.
    events.admit(req.caller!.tokenId);
    reply.hijack();
    reply.raw.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    events.subscribe(reply.raw, req.caller!.tokenId);
    req.raw.on('close', () => reply.raw.end());
  });

  app.get<{ Querystring: Static<typeof AuditQuery> }>('/api/v1/audit', { preHandler: tokens.guard('viewer'), schema: { tags: ['meta'], querystring: AuditQuery } }, async (req) => {
    const limit = req.query.limit ?? 100;
    const { before, actor, action, target } = req.query;
    // Stored times are UTC ISO strings: compare like with like, whatever offset the caller wrote.
    const since = req.query.since ? new Date(req.query.since).toISOString() : undefined;
    const until = req.query.until ? new Date(req.query.until).toISOString() : undefined;
    const filtered = !!(actor || action || target || since || until);
    const items = filtered ? await fleet.store.audit.search({ limit, before, actor, action, target, since, until }) : await fleet.store.audit.list(limit, before);
    const last = items[items.length - 1];
    return { items, ...(items.length === limit && last ? { nextCursor: String(last.id) } : {}) };
  });

  // Who am I to this server: the console names the role and tells a viewer what it may not do before asking.
  app.get('/api/v1/whoami', { preHandler: tokens.guard('viewer'), schema: { tags: ['tokens'] } }, async (req) => ({ name: req.caller!.name, role: req.caller!.role }));

  app.get('/api/v1/tokens', { preHandler: tokens.guard('admin'), schema: { tags: ['tokens'] } }, async () => ({ items: await fleet.store.tokens.list() }));
  app.post<{ Body: Static<typeof CreateTokenBody> }>('/api/v1/tokens', { preHandler: tokens.guard('admin'), schema: { tags: ['tokens'], body: CreateTokenBody } }, async (req, reply) => {
    const { secret, record } = await tokens.create(req.body.name.trim(), req.body.role);
    await fleet.audit(actorOf(req), 'token.create', record.name, { role: record.role });
    reply.status(201);
    // The only time the secret is shown.
    return { ...record, token: secret };
  });
  app.delete<{ Params: Static<typeof RefParams> }>('/api/v1/tokens/:id', { preHandler: tokens.guard('admin'), schema: { tags: ['tokens'], params: RefParams } }, async (req, reply) => {
    if (req.caller?.tokenId === req.params.id) throw new ApiError(409, 'own-token', 'A token cannot revoke itself; use another admin token.');
    if (!(await tokens.revoke(req.params.id))) throw new ApiError(404, 'not-found', `No token "${req.params.id}".`);
    await fleet.audit(actorOf(req), 'token.revoke', req.params.id);
    return reply.status(204).send();
  });
}
