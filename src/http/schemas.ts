import { Type, type TProperties } from '@sinclair/typebox';

/** Shared schema pieces of the Reports v4 family. */
export const ReportsError = Type.Object(
  {
    error: Type.String(),
    code: Type.String({ description: 'invalid_params, unauthorized, forbidden, not_found, conflict, unprocessable' }),
  },
  { $id: 'ReportsError' },
);

export const reportsErrorResponses = {
  400: Type.Ref(ReportsError),
  401: Type.Ref(ReportsError),
  403: Type.Ref(ReportsError),
  404: Type.Ref(ReportsError),
};

/** A row id: a positive integer JavaScript holds exactly. */
export const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
export const IdParams = Type.Object({ id: Id });

/** `account_id` of a user route: the account an admin acts on (auth/hooks.ts actingAccountId). */
export const ActingAccountId = Type.Optional(
  Type.Integer({ minimum: 1, description: 'Admins only; defaults to the caller’s account' }),
);
export const AccountQuery = Type.Object({ account_id: ActingAccountId });

/** Offset paging of a user route's list: `from`, and `limit` up to `max` (`fallback` when absent). */
export const offsetPage = (max: number, fallback: number) => ({
  from: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 }),
  limit: Type.Integer({ minimum: 1, maximum: max, default: fallback }),
});

/** An instant in: ISO 8601 with Z or an offset (parsed by shared/time.ts). */
export const Instant = (description = 'ISO 8601 with Z or an offset') => Type.String({ maxLength: 40, description });

export const IsoTimestamp = Type.String({ format: 'date-time', description: 'ISO 8601 UTC with milliseconds' });

/** OpenAPI security requirements, typed as Fastify's schema expects. */
export type SecurityRequirements = { [scheme: string]: string[] }[];

export const bearerSecurity: SecurityRequirements = [{ bearer: [] }, { rocketChatUserId: [], rocketChatToken: [] }];
export const rocketChatSecurity: SecurityRequirements = [{ rocketChatUserId: [], rocketChatToken: [] }, { bearer: [] }];
export const plugnmeetSecurity: SecurityRequirements = [{ plugnmeetApiKey: [], plugnmeetSignature: [] }];

/** Every Rocket.Chat error body (401, 400 error-not-allowed, error-invalid-*). */
export const RocketChatError = Type.Object(
  {
    success: Type.Literal(false),
    error: Type.String(),
    status: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
    errorType: Type.Optional(Type.String()),
    details: Type.Optional(Type.Object({ helperMethod: Type.String() })),
  },
  { title: 'RocketChatError' },
);

/** plugNmeet's status triple, in every reply of its family. */
export const PlugnmeetStatus = { status: Type.Boolean(), msg: Type.String(), status_code: Type.String() };
export const PlugnmeetStatusReply = Type.Object(PlugnmeetStatus);
export const PlugnmeetTokenReply = Type.Object({ ...PlugnmeetStatus, token: Type.Optional(Type.String()) });

/** A plugNmeet reply whose status_code may be absent, with the fields a success adds. */
export const plugnmeetReply = <P extends TProperties>(fields: P) =>
  Type.Object({ status: Type.Boolean(), msg: Type.String(), status_code: Type.Optional(Type.String()), ...fields });
