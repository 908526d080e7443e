// Bearer tokens with roles. Secrets are random, shown once, stored only as a sha256 hash, and never logged.
import { hash, randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Role } from '../core/wire';
import { ApiError } from './errors';
import type { FleetStore } from './store/store';
import type { TokenRecord } from './store/tokens';

/** Admin roles in order; `agent` is the enrollment role and only opens /agent/v1. */
export type TokenRole = Role | 'agent';
const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

// crypto.hash is the one-shot form: a third of createHash's cost, on every agent request.
export const hashToken = (secret: string): string => hash('sha256', secret, 'hex');
export const newSecret = (prefix: string): string => `${prefix}_${randomBytes(24).toString('base64url')}`;

const GUARD = Symbol('token guard');
type Hook = (...args: never[]) => unknown;
const isGuard = (h: unknown): boolean => typeof h === 'function' && (h as { [GUARD]?: boolean })[GUARD] === true;
/** Mark a hook as a token guard, so checkTokensFirst runs it before the body is read. */
export const asGuard = <F extends object>(check: F): F => Object.assign(check, { [GUARD]: true });
/** The bearer token of a request, or a 401 that says how to send one. */
export function bearerOf(req: FastifyRequest): string {
  const header = req.headers.authorization;
  const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!m) throw new ApiError(401, 'unauthorized', 'This route needs a token: send "Authorization: Bearer <token>".');
  return m[1];
}

/**
 * The token is checked before the body is read: a guard a route declares as `preHandler` (which runs after the
 * body) is moved to `onRequest`, so a request without a valid token is refused while its body is still unread.
 */
export function checkTokensFirst(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const pre = ([] as unknown[]).concat(route.preHandler ?? []);
    const guards = pre.filter(isGuard) as onRequestHookHandler[];
    if (guards.length === 0) return;
    route.preHandler = pre.filter((h) => !isGuard(h)) as Hook[] as typeof route.preHandler;
    route.onRequest = [...guards, ...([] as onRequestHookHandler[]).concat(route.onRequest ?? [])];
  });
}

export interface Caller {
  tokenId: string;
  name: string;
  role: TokenRole;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
    /** The client an agent request is authenticated as (its own credential). */
    clientId?: string;
    /** That client's row as read with its credential (undefined inside: not in the fleet yet). */
    clientRow?: { client: import('../core/types').Client | undefined };
  }
}

export class TokenService {
  // Lookups per request would hit the database on every check-in; hashes are cached for a short while.
  private readonly cache = new Map<string, { rec: TokenRecord | null; at: number }>();

  constructor(private readonly store: FleetStore) {}

  async create(name: string, role: TokenRole, secret?: string): Promise<{ secret: string; record: TokenRecord }> {
    const s = secret ?? newSecret(role === 'agent' ? 'ufe' : 'ufa');
    const record: TokenRecord = { id: randomUUID(), name, role, createdAt: new Date().toISOString() };
    await this.store.tokens.insert({ ...record, hash: hashToken(s) });
    this.cache.clear();
    return { secret: s, record };
  }

  /** Make sure a token with this secret exists (UPDATE_FLEET_*_TOKEN): the environment wins over an old one of the same name. */
  async ensure(name: string, role: TokenRole, secret: string): Promise<void> {
    const found = await this.store.tokens.findByHash(hashToken(secret));
    if (found) return;
    await this.store.tokens.deleteByName(name, role);
    await this.create(name, role, secret);
  }

  /**
   * A new enrollment token replaces every enrollment token named "enrollment" (the bootstrap one and earlier
   * rotations). Enrolled clients keep their own credentials, so none has to enroll again.
   */
  async rotateEnrollment(): Promise<{ secret: string; record: TokenRecord }> {
    await this.store.tokens.deleteByName('enrollment', 'agent');
    return this.create('enrollment', 'agent');
  }

  async revoke(id: string): Promise<boolean> {
    const ok = await this.store.tokens.delete(id);
    this.cache.clear();
    return ok;
  }

  async lookup(secret: string): Promise<TokenRecord | null> {
    const h = hashToken(secret);
    const hit = this.cache.get(h);
    const now = Date.now();
    if (hit && now - hit.at < 10_000) return hit.rec;
    const rec = (await this.store.tokens.findByHash(h)) ?? null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(h, { rec, at: now });
    return rec;
  }

  /** A hook (run as onRequest, see checkTokensFirst) that lets in tokens of at least `min` (admin routes) or exactly `agent` (agent routes). */
  guard(min: Role | 'agent') {
    const check = async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
      const rec = await this.lookup(bearerOf(req));
      if (!rec) throw new ApiError(401, 'unauthorized', 'The token is not valid (unknown or revoked).');
      const role = rec.role as TokenRole;
      if (min === 'agent') {
        if (role !== 'agent') throw new ApiError(403, 'forbidden', 'Agent routes need the enrollment token, not an admin token.');
      } else if (role === 'agent' || RANK[role] < RANK[min]) {
        throw new ApiError(403, 'forbidden', `This action needs the ${min} role; the token "${rec.name}" has the ${role} role.`);
      }
      req.caller = { tokenId: rec.id, name: rec.name, role };
    };
    return asGuard(check);
  }
}
