import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { actingAccountId, requirePermission, requireUser } from '../auth/hooks.js';
import { ActingAccountId, bearerSecurity, IsoTimestamp, reportsErrorResponses } from '../http/schemas.js';
import { StringEnum } from '../shared/schema.js';
import { toIso } from '../shared/time.js';
import { listTrashItems, restoreFromTrash } from './service.js';

const Kind = StringEnum(['recording', 'analytics']);
const TrashItem = Type.Object({
  kind: Kind,
  id: Type.String({ description: 'record_id or file_id' }),
  room_id: Type.String(),
  file_size: Type.Integer(),
  trashed_at: IsoTimestamp,
  purge_at: IsoTimestamp,
});

/** `/api/v4/trash`: deleted recordings and analytics files waiting to be purged (managers and admins). */
export const trashRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', requireUser);
  app.addHook('preHandler', requirePermission('manage-records'));
  const tags = ['trash'];

  app.get(
    '/api/v4/trash',
    {
      schema: {
        tags,
        summary: 'Deleted recordings and analytics files of the account, newest first (at most 1,000 of each)',
        security: bearerSecurity,
        querystring: Type.Object({ account_id: ActingAccountId, kind: Type.Optional(Kind) }),
        response: { 200: Type.Array(TrashItem), ...reportsErrorResponses },
      },
    },
    async (request) => {
      const items = await listTrashItems(
        app.db,
        await actingAccountId(request, request.query.account_id),
        request.query.kind,
      );
      return items.map((i) => ({ ...i, trashed_at: toIso(i.trashed_at), purge_at: toIso(i.purge_at) }));
    },
  );

  app.post(
    '/api/v4/trash/restore',
    {
      schema: {
        tags,
        summary: 'Put a deleted recording or analytics file back, with its files (never over another)',
        security: bearerSecurity,
        body: Type.Object({
          account_id: ActingAccountId,
          kind: Kind,
          id: Type.String({ minLength: 1, maxLength: 256 }),
        }),
        response: { 200: Type.Object({ kind: Kind, id: Type.String() }), ...reportsErrorResponses },
      },
    },
    async (request) => {
      const { account_id, kind, id } = request.body;
      await restoreFromTrash(app.db, app.storage, await actingAccountId(request, account_id), kind, id);
      return { kind, id };
    },
  );
};
