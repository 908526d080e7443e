// /agent/v1: what update agents call with the enrollment token. Check-in (JSON or the legacy check.ini of
// seed 003), progress reports, and package downloads by sha256 with HTTP Range.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { encodeLegacyCheck } from '../../core/legacy';
import { ArtifactParams, CheckinBody, LegacyQuery, ReportBody } from '../schemas';
import type { RouteContext } from './context';

/** Artifact URLs are stored as paths; agents get them absolute, on the address they reached us at. */
function absolute(url: string | undefined, req: FastifyRequest, publicUrl?: string): string | undefined {
  if (!url || !url.startsWith('/')) return url;
  const base = publicUrl ?? `${req.protocol}://${req.headers.host ?? `${req.hostname}`}`;
  return base.replace(/\/+$/, '') + url;
}

export function agentRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { fleet, tokens } = ctx;
  app.post<{ Body: Static<typeof CheckinBody> }>('/agent/v1/checkin', { preHandler: tokens.guard('agent'), schema: { tags: ['agent'], body: CheckinBody } }, async (req) => {
    const { nonce, ...checkin } = req.body;
    const { response } = await fleet.checkin(checkin);
    if (response.url) response.url = absolute(response.url, req, ctx.publicUrl);
    return ctx.signer.sign(response, { clientId: checkin.clientId, nonce, installed: checkin.version });
  });
  app.post<{ Body: Static<typeof ReportBody> }>('/agent/v1/report', { preHandler: tokens.guard('agent'), schema: { tags: ['agent'], body: ReportBody } }, async (req) => {
    await fleet.report(req.body);
    return { ok: true };
  });
  // Seed 003: [DATA] Success, Mandatory, version, url; CRLF line ends; never a [SETTINGS] section. The format has
  // no room for a signature: an agent that verifies signed decisions refuses --protocol ini (README).
  app.get<{ Querystring: Static<typeof LegacyQuery> }>('/agent/v1/check.ini', { preHandler: tokens.guard('agent'), schema: { tags: ['agent'], querystring: LegacyQuery } }, async (req, reply) => {
    const { clientId, version } = req.query;
    const known = await fleet.store.getClient(clientId);
    const { response } = await fleet.checkin({
      clientId, version,
      name: known?.name ?? clientId, computer: known?.computer ?? clientId, ip: known?.ip ?? req.ip, user: known?.user ?? '',
      state: known?.state,
    });
    const url = absolute(response.url, req, ctx.publicUrl);
    const upgrade = (response.action === 'offer' || response.action === 'force' || response.action === 'downgrade') && !!url && !!response.version;
    const body = upgrade
      ? encodeLegacyCheck({ success: true, mandatory: response.action !== 'offer', version: response.version, url })
      : encodeLegacyCheck({ success: false, mandatory: false });
    reply.header('Content-Type', 'text/plain; charset=utf-8');
    return reply.send(body);
  });
  // Public like a CDN would be: the name is the content's hash, and agents verify what they get.
  app.get<{ Params: Static<typeof ArtifactParams> }>('/agent/v1/artifacts/:sha256', { schema: { tags: ['agent'], params: ArtifactParams } }, async (req, reply) =>
    fleet.artifacts.send(req.params.sha256.toLowerCase(), req, reply));
}
