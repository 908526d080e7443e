// Every error a client can hit: a status, a stable code and a sentence a person can act on.
import type { FastifyError, FastifyInstance } from 'fastify';

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

export const notFound = (what: string, ref: string): ApiError => new ApiError(404, 'not-found', `No ${what} "${ref}".`);

/** Turn Fastify's own errors (validation, bad JSON, body too large) into the product's error shape; never a 5xx for bad input. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
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
