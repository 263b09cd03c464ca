import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type TSchema } from '@sinclair/typebox';
import { findApiClient } from '../auth/service.js';
import { sendCachedJson } from '../http/cached-json.js';
import { AppError } from '../http/errors.js';
import { normalizePlugnmeetBody } from '../http/plugnmeet.js';
import {
  PlugnmeetStatusReply as StatusReply,
  PlugnmeetTokenReply as TokenReply,
  plugnmeetSecurity,
} from '../http/schemas.js';
import { fetchParams, registerRecording } from '../recordings/service.js';
import { isSafeRelativePath } from '../storage/files.js';
import { sendStoredFile } from '../storage/download.js';
import { webhookIssuer, mapWebhook, verifyWebhook } from './livekit.js';
import { AnalyticsFetchBody, AnalyticsFetchReply, EventsBody, EventsReply, FileIdBody } from './schemas.js';
import * as analytics from './service.js';

const OK = { status: true, msg: 'success', status_code: 'SUCCESS' } as const;
const tags = ['plugNmeet: session analytics'];

/** `POST /auth/room/events` and `POST /auth/analytics/*`: signed with API-KEY + HASH-SIGNATURE. */
export const analyticsApiRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('preValidation', async (request) => {
    request.body = normalizePlugnmeetBody(request.body);
  });
  const schema = <B extends TSchema, R extends TSchema>(summary: string, body: B, reply: R) => ({
    tags,
    summary,
    security: plugnmeetSecurity,
    body,
    response: { 200: reply },
  });

  app.post(
    '/auth/room/events',
    {
      schema: schema(
        'Room events in (≤ 1000 per call); room_finished writes the session file',
        EventsBody,
        EventsReply,
      ),
    },
    async (request) => {
      const result = await analytics.ingestEvents(app.db, request.apiClient!.accountId, request.body.events);
      if (result.ended > 0)
        await analytics.closeSessions(app.db, app.engine, app.storage, app.config.sessionIdleTimeoutMs);
      return { ...OK, stored: result.stored, duplicates: result.duplicates, late: result.late };
    },
  );

  app.post(
    '/auth/analytics/fetch',
    { schema: schema('List analytics files of rooms, paged', AnalyticsFetchBody, AnalyticsFetchReply) },
    async (request, reply) => {
      const params = fetchParams(request.body);
      const accountId = request.apiClient!.accountId;
      return sendCachedJson(reply, `${accountId}|${JSON.stringify(params)}`, async () => {
        const { total, rows } = await analytics.fetchAnalytics(app.db, accountId, params);
        if (total === 0) return { status: false, msg: 'no analytics found', status_code: 'NOT_FOUND' };
        return {
          ...OK,
          result: {
            total_analytics: total,
            from: params.from,
            limit: params.limit,
            order_by: params.orderBy,
            analytics_list: rows,
          },
        };
      });
    },
  );

  app.post(
    '/auth/analytics/delete',
    { schema: schema('Delete an analytics file', FileIdBody, StatusReply) },
    async (request) => {
      await analytics.deleteAnalytics(app.db, app.storage, request.apiClient!.accountId, request.body.file_id);
      return OK;
    },
  );

  app.post(
    '/auth/analytics/getDownloadToken',
    { schema: schema('A short-lived token for /download/analytics/:token', FileIdBody, TokenReply) },
    async (request) => {
      const row = await analytics.getAnalyticsFile(app.db, request.apiClient!.accountId, request.body.file_id);
      return {
        ...OK,
        token: await analytics.analyticsDownloadToken(app.db, request.apiClient!, row, app.config.tokenTtlMs),
      };
    },
  );
};

const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 8192 }) });

/** `GET|HEAD /download/analytics/:token`: the token is the credential. */
export const analyticsFileRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/download/analytics/:token',
    {
      exposeHeadRoute: true,
      schema: {
        tags,
        summary: 'Download an analytics file (JSON); errors are text/plain',
        params: TokenParams,
        produces: ['application/json'],
      },
    },
    async (request, reply) =>
      sendStoredFile(request, reply, app.storage, await analytics.fileOfDownloadToken(app.db, request.params.token)),
  );
};

/** `POST /webhooks/livekit`: LiveKit's signed webhooks, mapped onto room events. */
export const liveKitWebhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // The exact body text is hashed into the token's sha256 claim: keep it as a string.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.post(
    '/webhooks/livekit',
    {
      schema: {
        tags,
        summary: 'LiveKit webhook (Authorization: JWT signed with a Recap API key pair, sha256 claim = body hash)',
        headers: Type.Object({ authorization: Type.Optional(Type.String({ maxLength: 8192 })) }),
        response: { 200: EventsReply },
      },
    },
    async (request) => {
      const authorization = request.headers.authorization;
      const issuer = webhookIssuer(authorization);
      const client = issuer ? await findApiClient(app.db, issuer) : undefined;
      const body = typeof request.body === 'string' ? request.body : '';
      if (!client || !authorization) throw new AppError('unauthorized', 'invalid webhook signature');
      const event = await verifyWebhook(client, body, authorization).catch(() => {
        throw new AppError('unauthorized', 'invalid webhook signature or body hash');
      });
      const mapped = mapWebhook(event);
      const result =
        mapped.events.length > 0
          ? await analytics.ingestEvents(app.db, client.accountId, mapped.events)
          : { stored: 0, duplicates: 0, late: 0, ended: 0 };
      if (mapped.recording) {
        // Egress files are registered under the recordings directory, by their path relative to it.
        const path = mapped.recording.filename.replace(/^\/+/, '');
        if (isSafeRelativePath(path)) {
          await registerRecording(app.db, client.accountId, {
            record_id: mapped.recording.egressId,
            room_id: mapped.recording.roomId,
            room_sid: mapped.recording.roomSid,
            file_path: path,
            file_size: mapped.recording.size,
            ...(mapped.recording.startedAt > 0 ? { creation_time: mapped.recording.startedAt } : {}),
          });
        } else {
          request.log.warn(
            { filename: mapped.recording.filename },
            'egress file is outside the recordings directory: not registered',
          );
        }
      }
      if (result.ended > 0)
        await analytics.closeSessions(app.db, app.engine, app.storage, app.config.sessionIdleTimeoutMs);
      return { ...OK, stored: result.stored, duplicates: result.duplicates, late: result.late };
    },
  );
};
