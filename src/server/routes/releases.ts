// /api/v1/releases: register, list, lifecycle (approve, revoke, retire, rollback), package upload and download.
import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import type { Readable } from 'node:stream';
import { ApiError } from '../errors';
import { startsDownload } from '../range';
import { editPendingRelease, recordDownload } from '../releaseReview';
import { EditReleaseBody, LifecycleBody, RefParams, RegisterReleaseBody, RollbackBody, RolloutBody } from '../schemas';
import { actorOf, type RouteContext } from './context';

type Ref = { Params: Static<typeof RefParams> };

export function releaseRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { fleet, tokens } = ctx;
  // Every guard below runs as onRequest (checkTokensFirst): the token is checked before the body is read.
  app.get('/api/v1/releases', { preHandler: tokens.guard('viewer'), schema: { tags: ['releases'] } }, async () => ({ items: await fleet.releases.views() }));
  app.get<Ref>('/api/v1/releases/:id', { preHandler: tokens.guard('viewer'), schema: { tags: ['releases'], params: RefParams } }, async (req) => fleet.releases.view(req.params.id));
  app.post<{ Body: Static<typeof RegisterReleaseBody> }>('/api/v1/releases', { preHandler: tokens.guard('admin'), schema: { tags: ['releases'], body: RegisterReleaseBody } }, async (req, reply) => {
    reply.status(201);
    return fleet.releases.register(req.body, actorOf(req));
  });
  for (const action of ['approve', 'revoke', 'retire'] as const) {
    app.post<Ref & { Body: Static<typeof LifecycleBody> }>(`/api/v1/releases/:id/${action}`, { preHandler: tokens.guard('operator'), schema: { tags: ['releases'], params: RefParams, body: LifecycleBody } }, async (req) => {
      return fleet.releases.lifecycle(req.params.id, action, actorOf(req), req.body?.note);
    });
  }
  // Notes and mandatory may change while pending.
  app.patch<Ref & { Body: Static<typeof EditReleaseBody> }>('/api/v1/releases/:id', { preHandler: tokens.guard('admin'), schema: { tags: ['releases'], params: RefParams, body: EditReleaseBody } }, async (req) => {
    const r = await editPendingRelease(fleet, req.params.id, req.body, actorOf(req));
    return fleet.releases.view(r.id);
  });
  app.post<Ref & { Body: Static<typeof RollbackBody> }>('/api/v1/releases/:id/rollback', { preHandler: tokens.guard('operator'), schema: { tags: ['releases'], params: RefParams, body: RollbackBody } }, async (req) =>
    fleet.releases.rollback(req.params.id, req.body ?? {}, actorOf(req)));

  // Pause Rollout / Resume Rollout: operators steer rollouts as they approve and revoke.
  for (const [action, to] of [['pause', 'paused'], ['resume', 'running']] as const) {
    app.post<Ref & { Body: Static<typeof RolloutBody> }>(`/api/v1/releases/:id/${action}`, { preHandler: tokens.guard('operator'), schema: { tags: ['releases'], params: RefParams, body: RolloutBody } }, async (req) =>
      fleet.releases.changeRollout(req.params.id, to, req.body ?? {}, actorOf(req)));
  }

  // The package bytes arrive as a stream: never buffered whole in memory.
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
  app.put<Ref>('/api/v1/releases/:id/artifact', {
    onRequest: [tokens.guard('admin'), async (req) => {
      // Refused before a byte is read: a declared length over the limit.
      const length = Number(req.headers['content-length']);
      if (length > ctx.uploads.maxBytes) throw new ApiError(413, 'body-too-large', `The package is larger than the server's limit of ${ctx.uploads.maxBytes} bytes.`);
    }],
    config: { longBody: true },
    schema: { tags: ['releases'], params: RefParams, consumes: ['application/octet-stream'] },
  }, async (req) => {
    if (!req.body || typeof (req.body as Readable).pipe !== 'function') {
      throw new ApiError(415, 'unsupported-media-type', 'Send the package bytes with Content-Type: application/octet-stream.');
    }
    return ctx.uploads.accept(req.params.id, req.body as Readable, req.headers, actorOf(req));
  });
  app.get<Ref>('/api/v1/releases/:id/artifact', { preHandler: tokens.guard('viewer'), schema: { tags: ['releases'], params: RefParams } }, async (req, reply) => {
    const r = await fleet.resolveRelease(req.params.id);
    if (!r.artifact.sha256 || !(await fleet.artifacts.exists(r.artifact.sha256))) {
      if (r.artifact.url && /^https?:/i.test(r.artifact.url)) {
        await recordDownload(fleet, r, actorOf(req));
        return reply.redirect(r.artifact.url);
      }
      throw new ApiError(404, 'no-artifact', `Release ${r.version} has no package stored on this server yet.`);
    }
    // Who downloaded it for testing, and when: the approve dialog shows it (and the server may require it). Once
    // per download: its later ranges (a resume) are not entries of their own.
    const range = typeof req.headers.range === 'string' ? req.headers.range : undefined;
    if (startsDownload(req.method, range, r.artifact.size ?? Number.MAX_SAFE_INTEGER)) await recordDownload(fleet, r, actorOf(req));
    return fleet.artifacts.send(r.artifact.sha256, req, reply, `update-fleet-${r.version}.tar.gz`);
  });
}
