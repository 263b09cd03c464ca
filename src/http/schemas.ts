import { Type } from '@sinclair/typebox';

/** Shared schema pieces of the Reports v4 family. */
export const ReportsError = Type.Object(
  { error: Type.String(), code: Type.String({ description: 'invalid_params, unauthorized, forbidden, not_found, conflict, unprocessable' }) },
  { $id: 'ReportsError' },
);

export const reportsErrorResponses = {
  400: Type.Ref(ReportsError),
  401: Type.Ref(ReportsError),
  403: Type.Ref(ReportsError),
  404: Type.Ref(ReportsError),
};

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });

export const IsoTimestamp = Type.String({ format: 'date-time', description: 'ISO 8601 UTC with milliseconds' });

/** OpenAPI security requirements, typed as Fastify's schema expects. */
export type SecurityRequirements = { [scheme: string]: string[] }[];

export const bearerSecurity: SecurityRequirements = [{ bearer: [] }, { rocketChatUserId: [], rocketChatToken: [] }];
export const rocketChatSecurity: SecurityRequirements = [{ rocketChatUserId: [], rocketChatToken: [] }, { bearer: [] }];
export const plugnmeetSecurity: SecurityRequirements = [{ plugnmeetApiKey: [], plugnmeetSignature: [] }];
