// JSON schemas (TypeBox) for every body and query: Fastify validates with them and @fastify/swagger turns them
// into /api/v1/openapi.json. The TypeScript shapes live in src/core/wire.ts; these are their runtime twins.
import { Type, type TSchema } from '@sinclair/typebox';
import { CLIENT_STATES } from '../core/types';
import { NONCE_PATTERN } from '../core/signedDecision';

const Str = (max = 200, extra: object = {}) => Type.String({ maxLength: max, ...extra });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
}, { $id: 'Error', additionalProperties: true });

export const Version = Str(64, { minLength: 1, description: '3.59.127.0, 1.2.2, 3.1.018, 60000 or semver such as 4.0.0-beta.1' });
export const ClientStateSchema = Type.Union(CLIENT_STATES.map((s) => Type.Literal(s)));
export const Channel = Type.Union([Type.Literal('stable'), Type.Literal('beta')]);
export const Sha256 = Type.String({ pattern: '^[0-9a-fA-F]{64}$' });

export const PolicySchema = Type.Object({
  mode: Type.Union([Type.Literal('none'), Type.Literal('auto'), Type.Literal('pinned')], { description: 'No Upgrade / Auto Upgrade / Only upgrade to X' }),
  pinnedVersion: Type.Optional(Nullable(Str(64))),
  channel: Channel,
  delivery: Type.Union([Type.Literal('forced'), Type.Literal('on-demand')]),
  remindOptionsDays: Type.Array(Type.Integer(), { maxItems: 10 }),
  window: Nullable(Type.Object({ start: Str(5), end: Str(5), timeZone: Str(64) }, { additionalProperties: false })),
  allowDowngrade: Type.Boolean(),
  checkIntervalSeconds: Type.Integer(),
  startupDelaySeconds: Type.Integer(),
  minimumAutoUpgradeVersion: Type.Optional(Nullable(Str(64))),
  rolloutPercent: Type.Number(),
  failureThresholdPercent: Type.Number(),
  ring: Type.Optional(Nullable(Type.Object({
    groupId: Str(200, { description: 'the group a release must succeed in first' }),
    minInstalledPercent: Type.Number(),
    maxFailedPercent: Type.Number(),
    afterHours: Type.Number(),
  }, { additionalProperties: false }))),
}, { additionalProperties: false, $id: 'Policy' });

export const FleetSettingsBody = Type.Object({
  minimumAutoUpgradeVersion: Nullable(Str(64, { description: 'Clients below this version need a manual install (seed 000); null or empty for none' })),
}, { additionalProperties: false });

export const RegisterReleaseBody = Type.Object({
  version: Version,
  channel: Type.Optional(Channel),
  notes: Type.Optional(Str(10_000)),
  mandatory: Type.Optional(Type.Boolean()),
  url: Type.Optional(Str(2_000)),
  sha256: Type.Optional(Sha256),
  size: Type.Optional(Type.Integer({ minimum: 0 })),
  signature: Type.Optional(Str(200)),
}, { additionalProperties: false });

export const EditReleaseBody = Type.Object({
  notes: Type.Optional(Str(10_000)),
  mandatory: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

export const LifecycleBody = Type.Optional(Type.Object({ note: Type.Optional(Str(1_000)) }, { additionalProperties: false }));
export const RollbackBody = Type.Optional(Type.Object({
  approveTarget: Type.Optional(Type.Boolean()),
  reviveRetired: Type.Optional(Type.Boolean()),
  dryRun: Type.Optional(Type.Boolean()),
  note: Type.Optional(Str(1_000)),
}, { additionalProperties: false }));

export const RolloutBody = Type.Optional(Type.Object({
  /** Only this group's rollout; without it, every group the release goes to. */
  groupId: Type.Optional(Str(200, { minLength: 1 })),
  note: Type.Optional(Str(1_000)),
}, { additionalProperties: false }));

export const RefParams = Type.Object({ id: Str(200, { minLength: 1 }) });

export const CreateGroupBody = Type.Object({
  name: Str(80, { minLength: 1 }),
  description: Type.Optional(Str(1_000)),
  policy: Type.Optional(Type.Partial(PolicySchema)),
}, { additionalProperties: false });

export const ClientsQuery = Type.Object({
  q: Type.Optional(Str(200)),
  group: Type.Optional(Str(200)),
  state: Type.Optional(ClientStateSchema),
  version: Type.Optional(Str(64)),
  cursor: Type.Optional(Str(1_000)),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
}, { additionalProperties: false });

export const MoveClientBody = Type.Object({ groupId: Str(200, { minLength: 1 }) }, { additionalProperties: false });

export const CsvQuery = Type.Object({
  state: Type.Optional(ClientStateSchema),
  group: Type.Optional(Str(200)),
  q: Type.Optional(Str(200)),
}, { additionalProperties: false });

export const AuditQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  before: Type.Optional(Type.Integer({ minimum: 1 })),
  actor: Type.Optional(Str(80)),
  action: Type.Optional(Str(80, { description: 'release.approve, or a prefix ending in a dot: release.' })),
  target: Type.Optional(Str(200)),
  since: Type.Optional(Type.String({ format: 'date-time' })),
  until: Type.Optional(Type.String({ format: 'date-time' })),
}, { additionalProperties: false });

export const CreateTokenBody = Type.Object({
  name: Str(80, { minLength: 1 }),
  role: Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('admin'), Type.Literal('agent')]),
}, { additionalProperties: false });

// Identity strings an agent sends: printable, bounded. The id keys the client row.
const ClientId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$', description: 'stable per machine; letters, digits, . _ : @ -' });

export const CheckinBody = Type.Object({
  clientId: ClientId,
  name: Str(200),
  computer: Str(200),
  ip: Str(64),
  user: Str(200),
  version: Version,
  state: Type.Optional(ClientStateSchema),
  deferredUntil: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
  nonce: Type.Optional(Type.String({ pattern: NONCE_PATTERN.source, description: 'a one-time value the server signs into the answer (signed decisions)' })),
}, { additionalProperties: false });

export const ReportBody = Type.Object({
  clientId: ClientId,
  state: ClientStateSchema,
  version: Type.Optional(Version),
  targetVersion: Type.Optional(Nullable(Str(64))),
  reason: Type.Optional(Nullable(Str(2_000))),
  deferredUntil: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
  progress: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
}, { additionalProperties: false });

export const LegacyQuery = Type.Object({
  clientId: ClientId,
  version: Version,
}, { additionalProperties: false });

export const EnrollBody = Type.Object({
  clientId: ClientId,
  secret: Type.String({ pattern: '^[A-Za-z0-9_-]{43,128}$', description: 'the client\'s own secret: 32 or more random bytes, base64url; the server keeps only its sha256' }),
  name: Str(200),
  computer: Str(200),
  ip: Str(64),
  user: Str(200),
}, { additionalProperties: false });

export const EnrollmentsQuery = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('decommissioned'), Type.Literal('rejected')], { default: 'pending' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })),
}, { additionalProperties: false });

export const ClientIdParams = Type.Object({ id: ClientId });

export const ArtifactParams = Type.Object({ sha256: Type.String({ maxLength: 64 }) });
