// How long and how many: a client that sends its headers or body slowly, or opens connections without end, must
// not hold the server. Node enforces the headers timeout and the connection cap; the body deadline is ours,
// because a package upload may rightly take longer than any API call (it gets an idle timeout instead).
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { FastifyInstance } from 'fastify';
import { errorBody } from './errors';

export interface Limits {
  /** The request line and headers must arrive within this (ms). */
  headersTimeoutMs: number;
  /** An API request's body must have arrived completely this long after the request started (ms). */
  requestTimeoutMs: number;
  /** A package upload (a long body by design) may pause at most this long between two chunks (ms). */
  uploadIdleTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (ms). */
  keepAliveTimeoutMs: number;
  /** Connections beyond this are refused at once (event streams count). */
  maxConnections: number;
}

export const DEFAULT_LIMITS: Limits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  uploadIdleTimeoutMs: 30_000,
  keepAliveTimeoutMs: 72_000,
  maxConnections: 10_000,
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route takes a long body (a package upload): an idle timeout instead of the request deadline. */
    longBody?: boolean;
  }
}

/**
 * The HTTP (or, with a certificate and key, HTTPS) server Fastify runs on, with Node's own limits set (the checking
 * interval decides how soon they act).
 */
export function serverFactory(limits: Limits, tls?: { cert: string | Buffer; key: string | Buffer }) {
  return (handler: (req: IncomingMessage, res: ServerResponse) => void): Server => {
    const options: ServerOptions = {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: 0, // the body deadline is enforced per route below
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
    };
    // An https.Server is an http.Server to Fastify: the same request events, limits and close.
    const server = tls ? (createHttpsServer({ ...options, cert: tls.cert, key: tls.key }, handler) as unknown as Server) : createServer(options, handler);
    server.maxConnections = limits.maxConnections;
    return server;
  };
}

/** Close a connection whose body is late: a 408 in the error shape if nothing was sent yet, then the socket. */
function dropLateBody(req: IncomingMessage, res: ServerResponse, message: string): void {
  if (req.socket.destroyed) return;
  if (!res.headersSent && !res.writableEnded) {
    const body = JSON.stringify(errorBody('request-timeout', message));
    res.writeHead(408, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
    res.end(body, () => req.socket.destroy());
  } else {
    req.socket.destroy();
  }
}

/** Registered first, so it runs before the token check and before any body is read. */
export function installBodyDeadlines(app: FastifyInstance, limits: Limits): void {
  app.addHook('onRequest', (req, reply, done) => {
    const raw = req.raw;
    const res = reply.raw;
    if (req.routeOptions.config?.longBody) {
      // Socket inactivity, reads or writes; after the response Node sets its keep-alive timeout on the socket.
      const onIdle = (): void => dropLateBody(raw, res, `The upload paused for more than ${limits.uploadIdleTimeoutMs} ms.`);
      raw.socket.setTimeout(limits.uploadIdleTimeoutMs);
      raw.socket.on('timeout', onIdle);
      res.once('close', () => raw.socket.off('timeout', onIdle));
      return done();
    }
    const timer = setTimeout(() => {
      // A complete request that is still being answered (an event stream, a long export) is not late.
      if (!raw.complete) dropLateBody(raw, res, `The request body did not arrive within ${limits.requestTimeoutMs} ms.`);
    }, limits.requestTimeoutMs);
    timer.unref();
    const clear = (): void => clearTimeout(timer);
    raw.once('end', clear);
    res.once('close', clear);
    done();
  });
}

/** 2G, 500M, 64K or a number of bytes (binary units). */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(text.trim());
  if (!m) return undefined;
  const bytes = Math.floor(Number(m[1]) * 1024 ** ' KMGT'.indexOf((m[2] || ' ').toUpperCase()));
  return bytes > 0 ? bytes : undefined;
}
