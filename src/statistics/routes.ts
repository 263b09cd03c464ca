import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requirePermission, requireUser } from '../auth/hooks.js';
import { cacheScope } from '../db/cache-scopes.js';
import { sendCachedCsv, sendCachedJsonText } from '../http/cached-json.js';
import { recordsToCsv, wantsCsv } from '../http/csv.js';
import { invalidParams } from '../http/errors.js';
import { RocketChatError, rocketChatSecurity } from '../http/schemas.js';
import { parseFields, parseQuery, parseSort } from './query.js';
import { ListQuerystring, ListReply, StatisticsQuerystring, StatisticsReply } from './schemas.js';
import * as statistics from './service.js';

const DEFAULT_COUNT = 50;
const MAX_COUNT = 100;
const tags = ['rocket.chat: statistics'];
const errors = { 400: RocketChatError, 401: RocketChatError };

const integer = (name: string, value: number | undefined): number | undefined => {
  // Past 2^53 a number is no longer exact (and SQL refuses it): the same answer as a fraction.
  if (value !== undefined && !Number.isSafeInteger(value))
    throw invalidParams(`${name} must be integer`, { errorType: 'error-invalid-params' });
  return value;
};

/** `GET /api/v1/statistics` and `GET /api/v1/statistics.list` (Rocket.Chat), admin (`view-statistics`) only. */
export const statisticsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const preHandler = [requireUser, requirePermission('view-statistics')];

  app.get(
    '/api/v1/statistics.list',
    {
      preHandler,
      // Read-only: on PostgreSQL a token verified before runs ahead of its check (credential-speculation.ts).
      config: { likelyScopes: () => [cacheScope.statistics] },
      schema: {
        tags,
        summary: 'Statistics snapshots: paged, sorted, projected and filtered',
        security: rocketChatSecurity,
        querystring: ListQuerystring,
        response: { 200: ListReply, ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const offset = integer('offset', q.offset) ?? 0;
      const requested = integer('count', q.count) ?? DEFAULT_COUNT;
      const unsafe = q.query !== undefined || q.fields !== undefined;
      if (unsafe && !app.config.statsUnsafeParams) {
        throw invalidParams('query and fields are disabled on this server (RECAP_STATS_UNSAFE_PARAMS=false)', {
          errorType: 'error-invalid-params',
        });
      }
      const list = {
        offset,
        count: requested === 0 ? 0 : Math.min(requested, MAX_COUNT),
        sort: q.sort === undefined ? undefined : parseSort(q.sort),
        fields: q.fields === undefined ? undefined : parseFields(q.fields),
        query: q.query === undefined ? undefined : parseQuery(q.query),
      };
      // Parsed above, so malformed parameters are answered before and never kept. The text skips
      // the response serializer; the schema still documents the shape.
      reply.header('cache-control', 'no-store');
      if (wantsCsv(request)) {
        // The CSV twin: one row per snapshot, one dotted column per field the chosen projection kept.
        return sendCachedCsv(reply, 'statistics', [cacheScope.statistics], JSON.stringify(list), async () => {
          const result = await statistics.listSnapshots(app.db, list);
          const documents = result.statistics.map((text) => JSON.parse(text) as Record<string, unknown>);
          return recordsToCsv(documents, ['_id', 'createdAt']);
        });
      }
      return sendCachedJsonText(reply, [cacheScope.statistics], JSON.stringify(list), async () => {
        const result = await statistics.listSnapshots(app.db, list);
        // Documents are sent as stored (JSON text): their fields vary between snapshots.
        return `{"statistics":[${result.statistics.join(',')}],"count":${result.statistics.length},"offset":${offset},"total":${result.total},"success":true}`;
      });
    },
  );

  app.get(
    '/api/v1/statistics',
    {
      preHandler,
      schema: {
        tags,
        summary: 'The newest snapshot; refresh=true takes one first',
        security: rocketChatSecurity,
        querystring: StatisticsQuerystring,
        response: { 200: StatisticsReply, ...errors },
      },
    },
    async (request, reply) => {
      const snapshot =
        request.query.refresh === 'true'
          ? await statistics.takeSnapshot(app.db)
          : await statistics.latestSnapshot(app.db);
      reply.header('cache-control', 'no-store');
      return { ...snapshot, success: true as const };
    },
  );
};
