import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actingAccountId, requirePermission, requireUser } from '../auth/hooks.js';
import { bearerSecurity, reportsErrorResponses } from '../http/schemas.js';
import { Retention, RetentionBody, RetentionQuery } from './schemas.js';
import { getRetention, putRetention } from './settings.js';

/** `/api/v4/retention`: how long the account's data is kept (managers and admins). */
export const retentionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', requireUser);
  app.addHook('preHandler', requirePermission('manage-retention'));
  const tags = ['retention'];

  app.get(
    '/api/v4/retention',
    {
      schema: {
        tags,
        summary: 'The account’s retention periods',
        security: bearerSecurity,
        querystring: RetentionQuery,
        response: { 200: Retention, ...reportsErrorResponses },
      },
    },
    async (request) =>
      getRetention(app.db, await actingAccountId(request, request.query.account_id), app.config.retentionDays),
  );

  app.put(
    '/api/v4/retention',
    {
      schema: {
        tags,
        summary: 'Set some of the account’s retention periods (absent: unchanged; null: the default)',
        security: bearerSecurity,
        body: RetentionBody,
        response: { 200: Retention, ...reportsErrorResponses },
      },
    },
    async (request) => {
      const { account_id, ...changes } = request.body;
      const accountId = await actingAccountId(request, account_id);
      return putRetention(app.db, accountId, changes, app.config.retentionDays);
    },
  );
};
