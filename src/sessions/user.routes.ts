import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { actingAccountId, requirePermission, requireUser } from '../auth/hooks.js';
import { AccountQuery, ActingAccountId, bearerSecurity, offsetPage, reportsErrorResponses } from '../http/schemas.js';
import { fetchParams } from '../recordings/service.js';
import { recordsToCsv, scalarFieldsOf, sendCsv, wantsCsv } from '../http/csv.js';
import { Format } from '../recordings/user.schemas.js';
import { sendStoredFile } from '../storage/download.js';
import { AnalyticsInfo } from './schemas.js';
import * as sessions from './service.js';
import { deleteAnalytics } from './deletion.js';

const Page = offsetPage(100, 20);
const FileParams = Type.Object({ file_id: Type.String({ minLength: 1, maxLength: 256 }) });

/**
 * Session analytics files for people (the console, or any user token): reading for analysts and
 * above (`view-records`), deleting for managers and admins (`manage-records`). The same rows and
 * files as plugNmeet's `/auth/analytics/*`.
 */
export const analyticsUserRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', requireUser);
  app.addHook('preHandler', requirePermission('view-records'));
  const tags = ['session analytics'];
  const security = bearerSecurity;
  const errors = reportsErrorResponses;

  app.get(
    '/api/v4/session-rooms',
    {
      schema: {
        tags,
        summary: 'Rooms with analytics files, by room id',
        security,
        querystring: Type.Object({ account_id: ActingAccountId, ...Page }),
        response: {
          200: Type.Object({
            total: Type.Integer(),
            items: Type.Array(
              Type.Object({
                room_id: Type.String(),
                analytics_files: Type.Integer(),
                total_size: Type.Integer({ description: 'Bytes' }),
                newest_creation_time: Type.Integer({ description: 'Unix seconds of the newest file' }),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { account_id, from, limit } = request.query;
      return sessions.analyticsRooms(app.db, await actingAccountId(request, account_id), from, limit);
    },
  );

  app.get(
    '/api/v4/analytics-files',
    {
      schema: {
        tags,
        summary: 'A room’s analytics files, newest first (or order_by=ASC), paged; format=csv for CSV',
        security,
        querystring: Type.Object({
          account_id: ActingAccountId,
          room_id: Type.String({ minLength: 1, maxLength: 256 }),
          order_by: Type.Optional(Type.Union([Type.Literal('DESC'), Type.Literal('ASC')], { default: 'DESC' })),
          format: Format,
          ...Page,
        }),
        response: { 200: Type.Object({ total: Type.Integer(), items: Type.Array(AnalyticsInfo) }), ...errors },
      },
    },
    async (request, reply) => {
      const { account_id, room_id, from, limit, order_by } = request.query;
      const params = fetchParams({ room_ids: [room_id], from, limit, order_by });
      const { total, rows } = await sessions.fetchAnalytics(app.db, await actingAccountId(request, account_id), params);
      if (wantsCsv(request))
        return sendCsv(reply, `analytics-files_${room_id}`, recordsToCsv(rows, scalarFieldsOf(AnalyticsInfo)));
      return { total, items: rows };
    },
  );

  app.get(
    '/api/v4/analytics-files/:file_id',
    {
      schema: {
        tags,
        summary: 'An analytics file (the session’s JSON), with Range',
        security,
        params: FileParams,
        querystring: AccountQuery,
      },
    },
    async (request, reply) => {
      const accountId = await actingAccountId(request, request.query.account_id);
      const row = await sessions.getAnalyticsFile(app.db, accountId, request.params.file_id);
      return sendStoredFile(request, reply, app.storage, { ok: true, path: sessions.analyticsFile(row) });
    },
  );

  app.delete(
    '/api/v4/analytics-files/:file_id',
    {
      preHandler: requirePermission('manage-records'),
      schema: {
        tags,
        summary: 'Delete an analytics file (managers and admins)',
        security,
        params: FileParams,
        querystring: AccountQuery,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const accountId = await actingAccountId(request, request.query.account_id);
      await deleteAnalytics(app.db, app.storage, accountId, request.params.file_id, {
        trashDays: app.config.trashDays,
      });
      return reply.code(204).send(null);
    },
  );
};
