// /agent/v1: what update agents call. Enrollment with the enrollment token; then check-in (JSON or the legacy
// check.ini of seed 003), progress reports and package downloads by sha256 with HTTP Range, each authenticated as
// one client by its own credential (agentAuth.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { encodeLegacyCheck } from '../../core/legacy';
import { agentGuard, assertSameClient } from '../agentAuth';
import { ArtifactParams, CheckinBody, EnrollBody, LegacyQuery, ReportBody } from '../schemas';
import type { RouteContext } from './context';

/** Artifact URLs are stored as paths; agents get them absolute, on the address they reached us at. */
function absolute(url: string | undefined, req: FastifyRequest, publicUrl?: string): string | undefined {
  if (!url || !url.startsWith('/')) return url;
  const base = publicUrl ?? `${req.protocol}://${req.headers.host ?? `${req.hostname}`}`;
  return base.replace(/\/+$/, '') + url;
}

export function agentRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { fleet, tokens, identities } = ctx;
  const asClient = agentGuard(tokens, identities, 'client');
  const asClientOrLegacy = agentGuard(tokens, identities, 'client-or-enrollment');
  app.post<{ Body: Static<typeof EnrollBody> }>('/agent/v1/enroll', { preHandler: tokens.guard('agent'), schema: { tags: ['agent'], body: EnrollBody } }, async (req, reply) => {
    const { created, response } = await identities.enroll(req.body, req.ip);
    return reply.status(created ? 201 : 200).send(response);
  });
  app.post<{ Body: Static<typeof CheckinBody> }>('/agent/v1/checkin', { preHandler: asClient, schema: { tags: ['agent'], body: CheckinBody } }, async (req) => {
    assertSameClient(req, req.body.clientId);
    const { nonce, ...checkin } = req.body;
    const { response } = await fleet.checkin(checkin, req.ip, req.clientRow);
    if (response.url) response.url = absolute(response.url, req, ctx.publicUrl);
    return ctx.signer.sign(response, { clientId: checkin.clientId, nonce, installed: checkin.version });
  });
  app.post<{ Body: Static<typeof ReportBody> }>('/agent/v1/report', { preHandler: asClient, schema: { tags: ['agent'], body: ReportBody } }, async (req) => {
    assertSameClient(req, req.body.clientId);
    await fleet.report(req.body, req.clientRow);
    return { ok: true };
  });
  // Seed 003: [DATA] Success, Mandatory, version, url; CRLF line ends; never a [SETTINGS] section. A legacy client
  // sends the enrollment token, which cannot tell clients apart: it may answer only for ids without a credential.
  // The format has no room for a signature: an agent that verifies signed decisions refuses --protocol ini (README).
  app.get<{ Querystring: Static<typeof LegacyQuery> }>('/agent/v1/check.ini', { preHandler: asClientOrLegacy, schema: { tags: ['agent'], querystring: LegacyQuery } }, async (req, reply) => {
    const { clientId, version } = req.query;
    assertSameClient(req, clientId);
    if (req.clientId === undefined) await identities.admitLegacy(clientId, { version, address: req.ip });
    const known = await fleet.store.getClient(clientId);
    const { response } = await fleet.checkin({
      clientId, version,
      name: known?.name ?? clientId, computer: known?.computer ?? clientId, ip: known?.ip ?? req.ip, user: known?.user ?? '',
      state: known?.state,
    }, req.ip);
    const url = absolute(response.url, req, ctx.publicUrl);
    const upgrade = (response.action === 'offer' || response.action === 'force' || response.action === 'downgrade') && !!url && !!response.version;
    const body = upgrade
      ? encodeLegacyCheck({ success: true, mandatory: response.action !== 'offer', version: response.version, url })
      : encodeLegacyCheck({ success: false, mandatory: false });
    reply.header('Content-Type', 'text/plain; charset=utf-8');
    return reply.send(body);
  });
  // Named by the content's hash, and agents verify what they get; a client (or a legacy client's enrollment token)
  // must still say who it is. A CDN serving the same bytes by an external URL is outside this.
  app.get<{ Params: Static<typeof ArtifactParams> }>('/agent/v1/artifacts/:sha256', { preHandler: asClientOrLegacy, schema: { tags: ['agent'], params: ArtifactParams } }, async (req, reply) =>
    fleet.artifacts.send(req.params.sha256.toLowerCase(), req, reply));
}
