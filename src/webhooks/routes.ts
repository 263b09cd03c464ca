import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { actingAccountId, requirePermission, requireUser } from '../auth/hooks.js';
import { bearerSecurity, reportsErrorResponses } from '../http/schemas.js';
import { DeliveriesQuery, DeliveryPage, Settings, SettingsBody, SettingsQuery } from './schemas.js';
import { getWebhookSettings, listDeliveries, putWebhookSettings } from './service.js';

/** `/api/v4/webhooks`: an account's webhook settings and delivery log (managers and admins). */
export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', requireUser);
  app.addHook('preHandler', requirePermission('manage-webhooks'));
  const tags = ['webhooks'];

  app.get(
    '/api/v4/webhooks',
    {
      schema: {
        tags,
        summary: 'The account’s webhook settings',
        security: bearerSecurity,
        querystring: SettingsQuery,
        response: { 200: Settings, ...reportsErrorResponses },
      },
    },
    async (request) => getWebhookSettings(app.db, await actingAccountId(request, request.query.account_id)),
  );

  app.put(
    '/api/v4/webhooks',
    {
      schema: {
        tags,
        summary: 'Set the account’s default webhook URL and signing key',
        security: bearerSecurity,
        body: SettingsBody,
        response: { 200: Settings, ...reportsErrorResponses },
      },
    },
    async (request) => {
      const { account_id, ...settings } = request.body;
      return putWebhookSettings(app.db, await actingAccountId(request, account_id), settings);
    },
  );

  app.get(
    '/api/v4/webhooks/deliveries',
    {
      schema: {
        tags,
        summary: 'The account’s webhook deliveries, newest first (kept 30 days)',
        security: bearerSecurity,
        querystring: DeliveriesQuery,
        response: { 200: DeliveryPage, ...reportsErrorResponses },
      },
    },
    async (request) => listDeliveries(app.db, await actingAccountId(request, request.query.account_id), request.query),
  );
};
