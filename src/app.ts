import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import cookie from '@fastify/cookie';
import { accountRoutes } from './auth/accounts.routes.js';
import { consoleAuthRoutes } from './auth/console.routes.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { rocketChatAuthRoutes } from './auth/rocketchat.routes.js';
import { VERSION } from './config/version.js';
import { statisticsRoutes } from './statistics/routes.js';
import { reportDataRoutes } from './reports/routes.js';
import { reportAnalyticsRoutes } from './reports/analytics/routes.js';
import { reportImageRoutes } from './reports/images.routes.js';
import { analyticsApiRoutes, analyticsFileRoutes, liveKitWebhookRoutes } from './sessions/routes.js';
import { startSessionSweeper } from './sessions/service.js';
import { artifactApiRoutes, artifactFileRoutes } from './sessions/artifact.routes.js';
import { analyticsUserRoutes } from './sessions/user.routes.js';
import { startStatisticsScheduler } from './statistics/service.js';
import { startJanitor } from './retention/janitor.js';
import { retentionRoutes } from './retention/routes.js';
import { startPeriodic, type PeriodicTask } from './shared/periodic.js';
import type { Config } from './config/index.js';
import type { DatabaseHandle } from './db/connection.js';
import { cacheScope } from './db/cache-scopes.js';
import { awaitCredentialConfirmation, enableCredentialSpeculation } from './auth/credential-speculation.js';
import { enableReadCache, usesRequestVersions, withRequestVersions } from './db/read-cache.js';
import { notFound } from './http/errors.js';
import { closeUnreadConnections, connectionOptions } from './http/connections.js';
import { familyOfUrl, sendError, useFamilyErrors } from './http/families.js';
import { refuseNulCharacters } from './http/nul-characters.js';
import { registerMetrics } from './http/metrics.js';
import { ReportsError } from './http/schemas.js';
import { systemRoutes } from './http/system.routes.js';
import { consoleRoutes } from './http/console.js';
import { usePlugnmeetFamily } from './http/plugnmeet.js';
import { recordingApiRoutes, recordingFileRoutes } from './recordings/routes.js';
import { recordingUserRoutes } from './recordings/user.routes.js';
import { LocalFileStorage } from './storage/files.js';
import { startWebhookDelivery, type DeliveryWorker } from './webhooks/delivery.js';
import { webhookRoutes } from './webhooks/routes.js';
import { trashRoutes } from './trash/routes.js';
import './http/types.js';

export interface BuildOptions {
  config: Config;
  database: DatabaseHandle;
  /** pino options, or a logger instance (the CLI passes its own); default: the configured level. */
  logger?: FastifyServerOptions['logger'];
  loggerInstance?: FastifyBaseLogger;
  /**
   * Whether read-only requests may run before their credential is confirmed
   * (auth/credential-speculation.ts). Default: on PostgreSQL, where each check is a round trip.
   */
  answerBeforeConfirmation?: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Download and upload URLs carry bearer tokens in the path: keep them out of the logs. */
const redactTokenPath = (url: string) => url.replace(/^(\/(?:download|upload)\/[a-z]+\/)[^/?]+/, '$1[token]');

function validators() {
  // Bodies are JSON and keep their types (a string "5" is not the number 5); query strings and
  // params are text and are coerced. Unknown keys are never silently dropped.
  const common = { useDefaults: true, removeAdditional: false, allErrors: false, strict: false } as const;
  const bodyAjv = addFormats.default(new Ajv.default({ ...common, coerceTypes: false }));
  const textAjv = addFormats.default(new Ajv.default({ ...common, coerceTypes: 'array' }));
  return { bodyAjv, textAjv };
}

/**
 * Builds the Recap application: shared plugins, then each API family in its own scope (its error
 * envelope and authentication), then each module's routes. The caller owns the database handle.
 */
export async function buildApp(options: BuildOptions): Promise<FastifyInstance> {
  const { config, database } = options;
  const app = Fastify({
    ...(options.loggerInstance
      ? { loggerInstance: options.loggerInstance }
      : {
          logger: options.logger ?? {
            level: config.logLevel,
            serializers: {
              req: (req: { method: string; url: string; ip?: string }) => ({
                method: req.method,
                url: redactTokenPath(req.url),
                remoteAddress: req.ip,
              }),
            },
          },
        }),
    bodyLimit: config.bodyLimit,
    ...connectionOptions(config.connections),
    trustProxy: config.trustProxy,
    requestIdHeader: 'x-request-id',
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Download and upload tokens are JWTs in the path: longer than the default 100 characters.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 8192 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  enableReadCache(database.db, { changeCounter: database.changeCounter, maxBytes: config.readCacheBytes });
  app.decorate('db', database.db);
  app.decorate('config', config);
  app.decorate('storage', new LocalFileStorage(config.storageRoot));
  app.decorate('loginThrottle', new LoginThrottle());
  await app.register(cookie);
  app.decorateRequest('rawBody', null);
  app.decorateRequest('bodyParseError', null);
  app.decorateRequest('user', null);
  app.decorateRequest('apiClient', null);
  app.decorateRequest('credentialConfirmation', null);
  if (options.answerBeforeConfirmation ?? database.engine === 'postgres') {
    enableCredentialSpeculation(database.db);
    app.addHook('onSend', awaitCredentialConfirmation);
  }

  const { bodyAjv, textAjv } = validators();
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : textAjv).compile(schema));
  app.addSchema(ReportsError);

  app.addHook('onRequest', (request, _reply, done) => {
    const likely = request.routeOptions.config.likelyScopes;
    if (!likely || !usesRequestVersions(database.db)) return done();
    withRequestVersions([cacheScope.users, cacheScope.apiKeys, ...likely(request)], done);
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });
  closeUnreadConnections(app);
  refuseNulCharacters(app);
  app.setErrorHandler((error, request, reply) => sendError('system', error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      familyOfUrl(request.url),
      notFound(`no route ${request.method} ${request.url.split('?')[0]}`),
      request,
      reply,
    ),
  );

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Recap',
        version: VERSION,
        description:
          'Records and analytics for real-time communication platforms. Wire-compatible with the plugNmeet server API, the Rocket.Chat REST API (login, statistics) and the Reports Analytics API v4.',
      },
      components: {
        securitySchemes: {
          plugnmeetApiKey: { type: 'apiKey', in: 'header', name: 'API-KEY' },
          plugnmeetSignature: {
            type: 'apiKey',
            in: 'header',
            name: 'HASH-SIGNATURE',
            description: 'Lowercase hex HMAC-SHA256 of the raw body, keyed with the API secret',
          },
          rocketChatUserId: { type: 'apiKey', in: 'header', name: 'X-User-Id' },
          rocketChatToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const metrics = registerMetrics(app);
  await app.register(systemRoutes, { metrics });

  // Rocket.Chat REST family: /api/v1/*
  await app.register(async (scope) => {
    useFamilyErrors(scope, 'rocketchat');
    await scope.register(rocketChatAuthRoutes);
    await scope.register(statisticsRoutes);
  });

  // Snapshots at start when due, then on the interval; stopped before the database closes.
  let scheduler: PeriodicTask | undefined;
  app.addHook('onReady', async () => {
    scheduler = startStatisticsScheduler(app.db, {
      intervalMs: app.config.statsIntervalMs,
      onError: (error) => app.log.error({ err: error }, 'statistics snapshot failed'),
    });
  });
  // Sessions idle past RECAP_SESSION_IDLE_TIMEOUT are closed and pending files written, at start too.
  let sweeper: PeriodicTask | undefined;
  app.addHook('onReady', async () => {
    sweeper = startSessionSweeper(app.db, app.storage, {
      idleMs: app.config.sessionIdleTimeoutMs,
      onError: (error) => app.log.error({ err: error }, 'closing room sessions failed'),
    });
  });
  // Partial files of uploads whose process crashed: none is touched after its connection went idle.
  let partials: PeriodicTask | undefined;
  app.addHook('onReady', async () => {
    const idleMs = app.config.connections.idleTimeoutMs;
    partials = startPeriodic(
      async () => {
        const removed = await app.storage.sweepPartials(idleMs + 1000);
        if (removed > 0) app.log.info({ removed }, 'removed partial files of interrupted writes');
      },
      Math.max(1000, Math.min(idleMs, 60_000)),
      (error) => app.log.error({ err: error }, 'sweeping partial files failed'),
    );
  });
  // Webhooks queued by any instance are sent by whichever claims them first.
  let webhooks: DeliveryWorker | undefined;
  app.addHook('onReady', async () => {
    webhooks = startWebhookDelivery(app.db, {
      ...app.config.webhooks,
      onError: (error) => app.log.error({ err: error }, 'webhook delivery failed'),
    });
  });
  // Retention, the trash and old statistics snapshots: at start, then every RECAP_JANITOR_INTERVAL.
  let janitor: PeriodicTask | undefined;
  app.addHook('onReady', async () => {
    janitor = startJanitor(app.db, app.storage, {
      retentionDays: app.config.retentionDays,
      trashDays: app.config.trashDays,
      statsRetentionDays: app.config.statsRetentionDays,
      everyMs: app.config.janitorIntervalMs,
      onRun: (run) => {
        if (Object.values(run).some((n) => n > 0)) app.log.info({ removed: run }, 'janitor: expired data removed');
      },
      onError: (error) => app.log.error({ err: error }, 'janitor run failed'),
    });
  });
  app.addHook('onClose', async () => {
    await janitor?.stop();
    await webhooks?.stop();
    await scheduler?.stop();
    await sweeper?.stop();
    await partials?.stop();
  });

  // Reports Analytics API v4 family: /api/v4/*
  await app.register(async (scope) => {
    useFamilyErrors(scope, 'reports');
    await scope.register(consoleAuthRoutes);
    await scope.register(accountRoutes);
    await scope.register(reportDataRoutes);
    await scope.register(reportImageRoutes);
    await scope.register(reportAnalyticsRoutes);
    await scope.register(webhookRoutes);
    await scope.register(recordingUserRoutes);
    await scope.register(analyticsUserRoutes);
    await scope.register(trashRoutes);
    await scope.register(retentionRoutes);
  });

  // plugNmeet server API family: signed /auth/* calls, token-authenticated file transfers
  await app.register(async (scope) => {
    usePlugnmeetFamily(scope);
    await scope.register(recordingApiRoutes);
    await scope.register(analyticsApiRoutes);
    await scope.register(artifactApiRoutes);
  });
  await app.register(async (scope) => {
    useFamilyErrors(scope, 'plugnmeet');
    await scope.register(recordingFileRoutes);
    await scope.register(analyticsFileRoutes);
    await scope.register(artifactFileRoutes);
  });
  await app.register(async (scope) => {
    useFamilyErrors(scope, 'plugnmeet');
    await scope.register(liveKitWebhookRoutes);
  });

  // The console's pages and assets (built by `npm run build`).
  await app.register(consoleRoutes);

  return app;
}
