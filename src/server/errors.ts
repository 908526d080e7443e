// Every error a client can hit: a status, a stable code and a sentence a person can act on.
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra fields next to `error` in the body (e.g. the rollback plan on a 409). */
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The one error body: `{ error: { code, message } }`. */
export const errorBody = (code: string, message: string): { error: { code: string; message: string } } => ({ error: { code, message } });

export const notFound = (what: string, ref: string): ApiError => new ApiError(404, 'not-found', `No ${what} "${ref}".`);

/** Turn Fastify's own errors (validation, bad JSON, body too large) into the product's error shape; never a 5xx for bad input. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    // Refused before its body was read (a bad token, a package too large): do not wait for the rest of it.
    if (!req.raw.complete) reply.header('Connection', 'close');
    if (err instanceof ApiError) {
      return reply.status(err.status).send({ error: { code: err.code, message: err.message }, ...(err.extra ?? {}) });
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      const where = fe.validationContext ?? 'request';
      const first = fe.validation[0];
      const path = first?.instancePath ? first.instancePath.replace(/^\//, '').replace(/\//g, '.') : '';
      const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
      const extra = (first?.params as { additionalProperty?: string } | undefined)?.additionalProperty;
      let message: string;
      if (missing) message = `The ${where} is missing "${path ? path + '.' : ''}${missing}".`;
      else if (extra) message = `The ${where} has an unknown field "${path ? path + '.' : ''}${extra}".`;
      else message = `In the ${where}, ${path ? `"${path}" ` : ''}${first?.message ?? 'is not valid'}.`;
      return reply.status(400).send({ error: { code: 'invalid-request', message } });
    }
    const status = fe.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported-media-type'
        : fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'body-too-large'
          : fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'empty-body'
            : 'bad-request';
      const message = fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (fe instanceof SyntaxError)
        ? 'The request body is not valid JSON.'
        : fe.message;
      return reply.status(status).send({ error: { code, message } });
    }
    req.log.error({ err }, 'request failed');
    return reply.status(500).send({ error: { code: 'internal', message: 'The server failed to handle this request; details are in the server log.' } });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ error: { code: 'not-found', message: `There is no route ${req.method} ${req.url.split('?')[0]}.` } });
  });
}

/**
 * Errors Node's HTTP parser finds before Fastify sees a request (headers too large, not HTTP at all, headers too
 * slow): answered in the error shape on the bare socket, which is then closed.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, message] = err.code === 'HPE_HEADER_OVERFLOW'
    ? [431, 'headers-too-large', 'The request line and headers are larger than the server accepts.']
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'request-timeout', 'The request headers did not arrive in time.']
      : [400, 'bad-request', 'The request is not valid HTTP.'];
  const body = JSON.stringify(errorBody(code, message));
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** Fastify's router errors (a URL it cannot decode, a path segment too long) in the error shape. */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const path = req.raw.url?.split('?')[0] ?? '';
  const shown = path.length > 80 ? `${path.slice(0, 80)}…` : path;
  if (err.code === 'FST_ERR_BAD_URL') {
    void reply.status(400).send(errorBody('bad-url', `The URL path "${shown}" is not valid (bad percent-encoding).`));
  } else if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void reply.status(414).send(errorBody('uri-too-long', `A part of the URL path "${shown}" is longer than the server accepts.`));
  } else {
    void reply.status(500).send(errorBody('internal', 'The server failed to handle this request; details are in the server log.'));
  }
}
