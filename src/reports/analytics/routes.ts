import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requirePermission, requireUser } from '../../auth/hooks.js';
import { cacheScope } from '../../db/cache-scopes.js';
import { jsonTextOf, JsonBytes, sendCachedCsv, sendCachedJson } from '../../http/cached-json.js';
import { columnsOf, toCsv, wantsCsv, windowFileName } from '../../http/csv.js';
import { bearerSecurity, IsoTimestamp, reportsErrorResponses } from '../../http/schemas.js';
import { StringEnum } from '../../shared/schema.js';
import { toIso } from '../../shared/time.js';
import { knownChannelAccount } from '../access.js';
import { ImageUrls } from '../images.js';
import { publicBase, Styles } from '../images.routes.js';
import { AWARENESS_FIELDS, countsOf, Fields, READ_FIELDS, windowQuery, type WindowQuery } from './schemas.js';
import * as analytics from './service.js';

const tags = ['reports v4: analytics'];
const query = windowQuery;
const Count = { account_id: Type.Integer(), report_count: Type.Integer() };
const ImageListingEntry = Type.Object({
  report_image_id: Type.Integer(),
  account_id: Type.Integer(),
  report_id: Type.Integer(),
  created_at: IsoTimestamp,
  styles: Styles,
});
type ImageListingEntry = Static<typeof ImageListingEntry>;
const errors = { ...reportsErrorResponses, 422: reportsErrorResponses[400] };

/** `GET /api/v4/analytics/*`: analysts, managers and admins (`view-analytics`), own account's channels. */
export const reportAnalyticsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Read-only: one read of the channel's (and, once seen, its account's) cache versions per request.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, likelyScopes: likelyScopesOf };
  });
  const likelyScopesOf = (request: FastifyRequest): string[] => {
    const channelId = Number((request.query as { channel_id?: unknown }).channel_id);
    if (!Number.isSafeInteger(channelId)) return [];
    const accountId = knownChannelAccount(app.db, channelId);
    return [
      cacheScope.channel(channelId),
      cacheScope.channelReads(channelId),
      cacheScope.channelAlerts(channelId),
      ...(accountId === undefined ? [] : [cacheScope.account(accountId)]),
    ];
  };
  app.addHook('onRequest', requireUser);
  app.addHook('preHandler', requirePermission('view-analytics'));
  /**
   * Opens the window (which answers 400 for bad dates and 404 for a channel of another account),
   * then answers through the read cache: counts change only when something is written.
   */
  const answer = async (
    request: FastifyRequest,
    reply: FastifyReply,
    extra: object,
    compute: (window: analytics.Window) => Promise<unknown>,
    /** The channel's data the answer reads (besides the account's names): reports by default. */
    data: (channelId: number) => string = cacheScope.channel,
  ) => {
    const window = await analytics.openWindow(app.db, request.user!, request.query as WindowQuery);
    const key = `${request.user!.accountId}|${window.channelId}|${window.start}|${window.end}|${window.zone}|${JSON.stringify(extra)}`;
    // The names the answer shows are the channel's account's (an admin may read another account's).
    const scopes = [data(window.channelId), cacheScope.account(window.accountId)];
    if (!wantsCsv(request)) return sendCachedJson(reply, scopes, key, () => compute(window));
    // The CSV twin: the JSON answer as the response schema shapes it, as rows.
    const name = windowFileName(request.routeOptions.url!.split('/').at(-1)!, window);
    const columns = columnsOf((request.routeOptions.schema!.response as Record<number, TSchema>)[200]!);
    const requested = (extra as { fields?: string[] }).fields ?? [];
    return sendCachedCsv(reply, name, scopes, key, async () =>
      toCsv(JSON.parse(jsonTextOf(reply, await compute(window))), columns, requested),
    );
  };
  const schema = <Q extends TSchema, R extends TSchema>(summary: string, querystring: Q, reply: R) => ({
    tags,
    summary,
    security: bearerSecurity,
    description: 'Also as CSV (the same rows and fields): `format=csv` or `Accept: text/csv`.',
    querystring,
    response: { 200: reply, ...errors },
  });

  app.get(
    '/api/v4/analytics/reports_images',
    {
      schema: schema(
        'Images of the channel’s reports created in the window, oldest report first, with signed expiring style URLs',
        query({
          from: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0, description: 'Offset into the answer' }),
          limit: Type.Integer({ minimum: 1, maximum: analytics.MAX_IMAGES, default: 1000 }),
        }),
        Type.Array(ImageListingEntry),
      ),
    },
    async (request, reply) => {
      const { from, limit } = request.query;
      const urls = await ImageUrls.for(app.db, app.config.imageUrlTtlMs);
      const base = publicBase(request);
      // URLs expire on a whole hour, so the answer is the same all hour: the expiry is part of the key.
      const expires = urls.expiresAt();
      const serializeEntry = reply.compileSerializationSchema(ImageListingEntry) as (
        entry: ImageListingEntry,
      ) => string;
      return answer(
        request,
        reply,
        { from, limit, base, expires },
        async (window) =>
          new JsonBytes(
            await analytics.reportsImagesListing(app.db, window, from, limit, {
              kept: (ids) => urls.keptListing(base, ids, expires),
              make: (images) =>
                urls.makeListing(base, images, expires, (image) =>
                  serializeEntry({
                    report_image_id: image.id,
                    account_id: image.account_id,
                    report_id: image.report_id,
                    created_at: toIso(image.created_at),
                    styles: urls.styles(base, image.id, expires),
                  }),
                ),
            }),
          ),
      );
    },
  );
  app.get(
    '/api/v4/analytics/reports_over_time',
    {
      schema: schema(
        'Reports per time bucket (hour ≤ 2 days, day ≤ 92 days, week ≤ 3 years, else month; weeks start Monday)',
        query({ interval: Type.Optional(StringEnum([...analytics.INTERVALS])) }),
        Type.Array(Type.Object({ ...Count, datetime_range_start: IsoTimestamp, datetime_range_width: Type.String() })),
      ),
    },
    async (request, reply) =>
      answer(request, reply, { interval: request.query.interval }, (window) =>
        analytics.reportsOverTime(app.db, window, request.query.interval),
      ),
  );
  app.get(
    '/api/v4/analytics/reports_per_field_selection',
    {
      schema: schema(
        'Reports per selected option of a Category, DropDown or Radio field',
        query({ field_id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }),
        Type.Array(
          Type.Object({
            field_id: Type.Integer(),
            account_id: Type.Integer(),
            name: Type.String(),
            value: Type.String(),
            report_count: Type.Integer(),
          }),
        ),
      ),
    },
    async (request, reply) =>
      answer(request, reply, { field: request.query.field_id }, (window) =>
        analytics.reportsPerFieldSelection(app.db, request.user!, window, request.query.field_id),
      ),
  );
  app.get(
    '/api/v4/analytics/reports_per_state',
    {
      schema: schema(
        'Reports per state, most first',
        query({}),
        Type.Array(Type.Object({ id: Type.Integer(), name: Type.String(), ...Count })),
      ),
    },
    async (request, reply) => answer(request, reply, {}, (window) => analytics.reportsPerState(app.db, window)),
  );
  app.get(
    '/api/v4/analytics/reports_per_user',
    {
      schema: schema(
        'Reports per user, most first',
        query({}),
        Type.Array(Type.Object({ user_id: Type.Integer(), ...Count })),
      ),
    },
    async (request, reply) => answer(request, reply, {}, (window) => analytics.reportsPerUser(app.db, window)),
  );
  app.get(
    '/api/v4/analytics/reports_per_day_hour',
    {
      schema: schema(
        'Reports per local hour of the day (0–23)',
        query({}),
        Type.Array(Type.Object({ hour: Type.Integer(), ...Count })),
      ),
    },
    async (request, reply) => answer(request, reply, {}, (window) => analytics.reportsPerDayHour(app.db, window)),
  );
  app.get(
    '/api/v4/analytics/reports_per_week_day',
    {
      schema: schema(
        'Reports per local week day (0 = Sunday … 6)',
        query({}),
        Type.Array(Type.Object({ dow: Type.Integer(), ...Count })),
      ),
    },
    async (request, reply) => answer(request, reply, {}, (window) => analytics.reportsPerWeekDay(app.db, window)),
  );
  app.get(
    '/api/v4/analytics/reports_read',
    {
      schema: schema(
        'Reads made in the window of the channel’s reports (exact)',
        query({ fields: Fields(READ_FIELDS) }),
        Type.Object(countsOf(READ_FIELDS)),
      ),
    },
    async (request, reply) => {
      const fields = analytics.selectFields(request.query.fields, READ_FIELDS);
      return answer(
        request,
        reply,
        { fields },
        (window) => analytics.reportsRead(app.db, window, fields),
        cacheScope.channelReads,
      );
    },
  );
  app.get(
    '/api/v4/analytics/user_awareness',
    {
      schema: schema(
        'Per user alerted in the window: deliveries, distinct alerts, source reports, alerts opened (exact)',
        query({ fields: Fields(AWARENESS_FIELDS) }),
        Type.Array(
          Type.Object({
            ...countsOf(AWARENESS_FIELDS),
            user_id: Type.Integer(),
            first_name: Type.String(),
            last_name: Type.String(),
          }),
        ),
      ),
    },
    async (request, reply) => {
      const fields = analytics.selectFields(request.query.fields, AWARENESS_FIELDS);
      return answer(
        request,
        reply,
        { fields },
        (window) => analytics.userAwareness(app.db, window, fields),
        cacheScope.channelAlerts,
      );
    },
  );
};
