import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { cacheScope } from '../db/cache-scopes.js';
import { sendCachedJson } from '../http/cached-json.js';
import { normalizeBodies, PLUGNMEET_OK, plugnmeetSchema, likelyScopesOfKey } from '../http/plugnmeet.js';
import { PlugnmeetStatusReply as StatusReply, PlugnmeetTokenReply as TokenReply } from '../http/schemas.js';
import { fetchParams } from '../recordings/service.js';
import { downloadRoute } from '../storage/download.js';
import { receiveLiveKitWebhook } from './livekit-webhook.js';
import { fetchPastRooms } from './past-rooms.js';
import {
  AnalyticsFetchBody,
  AnalyticsFetchReply,
  EventsBody,
  EventsReply,
  FileIdBody,
  PastRoomsBody,
  PastRoomsReply,
} from './schemas.js';
import * as analytics from './service.js';
import { deleteAnalytics } from './deletion.js';

const OK = PLUGNMEET_OK;
const tags = ['plugNmeet: session analytics'];
const schema = plugnmeetSchema(tags);

/** `POST /auth/room/events` and `POST /auth/analytics/*`: signed with API-KEY + HASH-SIGNATURE. */
export const analyticsApiRoutes: FastifyPluginAsyncTypebox = async (app) => {
  normalizeBodies(app);

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
      const { db, storage, config } = app;
      const events = request.body.events;
      const result = await analytics.receiveRoomEvents(
        db,
        storage,
        config.sessionIdleTimeoutMs,
        request.apiClient!.accountId,
        events,
      );
      return { ...OK, stored: result.stored, duplicates: result.duplicates, late: result.late };
    },
  );

  app.post(
    '/auth/room/fetchPastRooms',
    { schema: schema('Past rooms (ended sessions) of some or all rooms, paged', PastRoomsBody, PastRoomsReply) },
    async (request) => {
      const page = await fetchPastRooms(app.db, request.apiClient!.accountId, request.body);
      if (page.total === 0) return { status: false, msg: 'no room found', status_code: 'NOT_FOUND' };
      const { total, from, limit, orderBy, rooms } = page;
      return { ...OK, result: { total_rooms: total, from, limit, order_by: orderBy, rooms_list: rooms } };
    },
  );

  app.post(
    '/auth/analytics/fetch',
    {
      config: { likelyScopes: (request) => likelyScopesOfKey(app.db, request, cacheScope.analyticsFiles) },
      schema: schema('List analytics files of rooms, paged', AnalyticsFetchBody, AnalyticsFetchReply),
    },
    async (request, reply) => {
      const params = fetchParams(request.body);
      const accountId = request.apiClient!.accountId;
      return sendCachedJson(
        reply,
        [cacheScope.analyticsFiles(accountId)],
        `${accountId}|${JSON.stringify(params)}`,
        async () => {
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
        },
      );
    },
  );

  app.post(
    '/auth/analytics/delete',
    { schema: schema('Delete an analytics file', FileIdBody, StatusReply) },
    async (request) => {
      await deleteAnalytics(app.db, app.storage, request.apiClient!.accountId, request.body.file_id, {
        trashDays: app.config.trashDays,
      });
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

/** `GET|HEAD /download/analytics/:token`: the token is the credential. */
export const analyticsFileRoutes: FastifyPluginAsyncTypebox = async (app) => {
  downloadRoute(
    app,
    {
      prefix: '/download/analytics',
      tags,
      summary: 'Download an analytics file (JSON); errors are text/plain',
      produces: ['application/json'],
    },
    analytics.fileOfDownloadToken,
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
      const body = typeof request.body === 'string' ? request.body : '';
      const result = await receiveLiveKitWebhook(app, request.headers.authorization, body, request.log);
      return { ...OK, stored: result.stored, duplicates: result.duplicates, late: result.late };
    },
  );
};
