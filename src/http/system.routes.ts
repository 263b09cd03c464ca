import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { Registry } from 'prom-client';

const Status = Type.Object({ status: Type.String() });

/** Liveness, readiness, metrics and the bench's HTTP-ceiling route. */
export const systemRoutes: FastifyPluginAsyncTypebox<{ metrics: Registry }> = async (app, { metrics }) => {
  app.get(
    '/healthz',
    { schema: { tags: ['system'], summary: 'The process is up', response: { 200: Status } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    { schema: { tags: ['system'], summary: 'The database answers', response: { 200: Status, 503: Status } } },
    async (request, reply) => {
      try {
        await sql`select 1`.execute(app.db);
        return { status: 'ok' };
      } catch (error) {
        request.log.warn({ err: error }, 'database not reachable');
        return reply.code(503).send({ status: 'unavailable' });
      }
    },
  );

  app.get(
    '/metrics',
    { schema: { tags: ['system'], summary: 'Prometheus metrics (text exposition format)', produces: ['text/plain'] } },
    async (_request, reply) => reply.type(metrics.contentType).send(await metrics.metrics()),
  );

  if (app.config.benchRoutes) {
    // A fixed 20-item page through the same plugins, hooks and serializer as every route: the
    // ceiling the bench compares real endpoints against.
    const Item = Type.Object({
      id: Type.Integer(),
      name: Type.String(),
      size: Type.Integer(),
      created_at: Type.Integer(),
    });
    const page = Array.from({ length: 20 }, (_, i) => ({
      id: i + 1,
      name: `item-${i + 1}`,
      size: 1024 * (i + 1),
      created_at: 1_700_000_000 + i,
    }));
    app.get(
      '/bench/static',
      { schema: { hide: true, response: { 200: Type.Object({ items: Type.Array(Item) }) } } },
      async () => ({ items: page }),
    );
  }
};
