// The agent routes' guard: a request is authenticated as one client by that client's credential. The enrollment
// token opens only enrollment, and the legacy paths (check.ini, package downloads for legacy clients) where a
// client has no credential of its own (README: what the legacy path can and cannot prove).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { asGuard, bearerOf, type TokenService } from './auth';
import type { ClientIdentities } from './clientIdentities';
import { ApiError } from './errors';

export type AgentAccess = 'client' | 'client-or-enrollment';

export function agentGuard(tokens: TokenService, identities: ClientIdentities, access: AgentAccess) {
  return asGuard(async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = bearerOf(req);
    const client = await identities.authenticate(token);
    if (client !== undefined) {
      const { clientId } = client;
      req.clientId = clientId;
      req.clientRow = { client: client.client };
      req.caller = { tokenId: `client:${clientId}`, name: `client ${clientId}`, role: 'agent' };
      return;
    }
    const rec = await tokens.lookup(token);
    if (!rec) throw new ApiError(401, 'unauthorized', 'The token is not valid (unknown or revoked).');
    if (rec.role !== 'agent') throw new ApiError(403, 'forbidden', 'Agent routes need a client credential (or, to enroll, the enrollment token), not an admin token.');
    if (access === 'client') {
      throw new ApiError(403, 'client-credential-required', 'The enrollment token only enrolls a client (POST /agent/v1/enroll); check-ins and reports need the client\'s own credential.');
    }
    req.caller = { tokenId: rec.id, name: rec.name, role: 'agent' };
  });
}

/** A client may speak only for itself. */
export function assertSameClient(req: FastifyRequest, bodyClientId: string): void {
  if (req.clientId !== undefined && req.clientId !== bodyClientId) {
    throw new ApiError(403, 'wrong-client', `This credential belongs to client "${req.clientId}"; it cannot check in or report for client "${bodyClientId}".`);
  }
}
