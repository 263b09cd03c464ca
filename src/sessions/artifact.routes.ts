import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { normalizeBodies, PLUGNMEET_OK as OK, plugnmeetSchema } from '../http/plugnmeet.js';
import { PlugnmeetStatusReply as StatusReply, PlugnmeetTokenReply as TokenReply } from '../http/schemas.js';
import { downloadRoute } from '../storage/download.js';
import { artifactInfo, fetchArtifacts } from './artifacts.js';
import { deleteAnalytics } from './deletion.js';
import { ArtifactIdBody, ArtifactInfoReply, ArtifactsFetchBody, ArtifactsFetchReply } from './schemas.js';
import * as analytics from './service.js';

const tags = ['plugNmeet: artifacts'];
const schema = plugnmeetSchema(tags);
const ARTIFACT_NOT_FOUND = 'artifact not found';

/** `POST /auth/artifact/*` (plugNmeet v2): Recap's analytics files as MEETING_ANALYTICS artifacts. */
export const artifactApiRoutes: FastifyPluginAsyncTypebox = async (app) => {
  normalizeBodies(app);

  app.post(
    '/auth/artifact/fetch',
    {
      schema: schema(
        'List artifacts (meeting analytics) of some or all rooms, or of a session, paged',
        ArtifactsFetchBody,
        ArtifactsFetchReply,
      ),
    },
    async (request) => {
      const page = await fetchArtifacts(app.db, request.apiClient!.accountId, request.body);
      if (page.total === 0) return { status: false, msg: 'no artifact found', status_code: 'NOT_FOUND' };
      const { total, from, limit, orderBy, type, artifacts } = page;
      return {
        ...OK,
        result: {
          total_artifacts: total,
          from,
          limit,
          order_by: orderBy,
          ...(type ? { type } : {}),
          artifacts_list: artifacts,
        },
      };
    },
  );

  app.post(
    '/auth/artifact/info',
    { schema: schema('An artifact and its room', ArtifactIdBody, ArtifactInfoReply) },
    async (request) => ({
      ...OK,
      ...(await artifactInfo(app.db, request.apiClient!.accountId, request.body.artifact_id)),
    }),
  );

  app.post(
    '/auth/artifact/delete',
    { schema: schema('Delete an artifact and its file', ArtifactIdBody, StatusReply) },
    async (request) => {
      await deleteAnalytics(app.db, app.storage, request.apiClient!.accountId, request.body.artifact_id, {
        trashDays: app.config.trashDays,
        missing: ARTIFACT_NOT_FOUND,
      });
      return OK;
    },
  );

  app.post(
    '/auth/artifact/getDownloadToken',
    { schema: schema('A short-lived token for /download/artifact/:token', ArtifactIdBody, TokenReply) },
    async (request) => {
      const row = await analytics.getAnalyticsFile(
        app.db,
        request.apiClient!.accountId,
        request.body.artifact_id,
        ARTIFACT_NOT_FOUND,
      );
      return {
        ...OK,
        token: await analytics.analyticsDownloadToken(app.db, request.apiClient!, row, app.config.tokenTtlMs),
      };
    },
  );
};

/** `GET|HEAD /download/artifact/:token`: the same files and tokens as /download/analytics. */
export const artifactFileRoutes: FastifyPluginAsyncTypebox = async (app) => {
  downloadRoute(
    app,
    {
      prefix: '/download/artifact',
      tags,
      summary: 'Download an artifact (HTTP Range supported); errors are text/plain',
      produces: ['application/json'],
    },
    analytics.fileOfDownloadToken,
  );
};
