// Two validators: query strings and path params arrive as text and are coerced ("limit=5" → 5); JSON bodies are
// taken as sent, so a number where a string belongs is an error, not silently turned into "42".
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';

export function installValidators(app: FastifyInstance): void {
  const common = { allErrors: false, removeAdditional: false as const, useDefaults: true, strict: false };
  const bodyAjv = addFormats(new Ajv({ ...common, coerceTypes: false }));
  const textAjv = addFormats(new Ajv({ ...common, coerceTypes: 'array' }));
  app.setValidatorCompiler<FastifySchema>(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object));
}
