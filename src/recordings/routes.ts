import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Readable } from 'node:stream';
import { cacheScope } from '../db/cache-scopes.js';
import { sendCachedJson } from '../http/cached-json.js';
import { normalizeBodies, PLUGNMEET_OK, plugnmeetSchema, likelyScopesOfKey } from '../http/plugnmeet.js';
import { PlugnmeetStatusReply as StatusReply, PlugnmeetTokenReply as TokenReply } from '../http/schemas.js';
import { downloadRoute } from '../storage/download.js';
import {
  AddBody,
  FetchBody,
  FetchReply,
  InfoReply,
  RecordIdBody,
  RecordReply,
  UpdateMetadataBody,
  UploadTokenBody,
} from './schemas.js';
import * as recordings from './service.js';
import { deleteRecording } from './deletion.js';

const OK = PLUGNMEET_OK;
const tags = ['plugNmeet: recordings'];
const schema = plugnmeetSchema(tags);

/** `POST /auth/recording/*`: plugNmeet's recording API, signed with API-KEY + HASH-SIGNATURE. */
export const recordingApiRoutes: FastifyPluginAsyncTypebox = async (app) => {
  normalizeBodies(app, ['metadata']);

  app.post(
    '/auth/recording/fetch',
    {
      config: { likelyScopes: (request) => likelyScopesOfKey(app.db, request, cacheScope.recordings) },
      schema: schema('List recordings of rooms or of a session, paged', FetchBody, FetchReply),
    },
    async (request, reply) => {
      const params = recordings.fetchParams(request.body);
      const accountId = request.apiClient!.accountId;
      return sendCachedJson(
        reply,
        [cacheScope.recordings(accountId)],
        `${accountId}|${JSON.stringify(params)}`,
        async () => {
          const { total, rows } = await recordings.fetchRecordings(app.db, accountId, params);
          if (total === 0) return { status: false, msg: 'no recordings found', status_code: 'NOT_FOUND' };
          return {
            ...OK,
            result: {
              total_recordings: total,
              from: params.from,
              limit: params.limit,
              order_by: params.orderBy,
              recordings_list: rows.map(recordings.toRecordingInfo),
            },
          };
        },
      );
    },
  );

  app.post(
    '/auth/recording/info',
    { schema: schema('A recording and its room', RecordIdBody, InfoReply) },
    async (request) => {
      const accountId = request.apiClient!.accountId;
      const row = await recordings.getRecording(app.db, accountId, request.body.record_id);
      return {
        ...OK,
        recording_info: recordings.toRecordingInfo(row),
        room_info: await recordings.roomOfRecording(app.db, accountId, row),
      };
    },
  );

  app.post(
    '/auth/recording/delete',
    { schema: schema('Delete a recording and its file', RecordIdBody, StatusReply) },
    async (request) => {
      await deleteRecording(
        app.db,
        app.storage,
        request.apiClient!.accountId,
        request.body.record_id,
        app.config.trashDays,
      );
      return OK;
    },
  );

  app.post(
    '/auth/recording/updateMetadata',
    { schema: schema('Patch title, description, subtitles and extra data', UpdateMetadataBody, StatusReply) },
    async (request) => {
      await recordings.updateRecordingMetadata(
        app.db,
        request.apiClient!.accountId,
        request.body.record_id,
        request.body.metadata,
      );
      return OK;
    },
  );

  app.post(
    '/auth/recording/getDownloadToken',
    { schema: schema('A short-lived token for /download/recording/:token', RecordIdBody, TokenReply) },
    async (request) => {
      const row = await recordings.getRecording(app.db, request.apiClient!.accountId, request.body.record_id);
      return { ...OK, token: await recordings.downloadToken(app.db, request.apiClient!, row, app.config.tokenTtlMs) };
    },
  );

  app.post(
    '/auth/recording/add',
    {
      schema: schema(
        "Register a file already in the account's directory RECAP_DATA_DIR/files/recordings/<account_id> (idempotent on record_id)",
        AddBody,
        RecordReply,
      ),
    },
    async (request) => {
      const row = await recordings.addRecording(app.db, app.storage, request.apiClient!.accountId, request.body);
      return { ...OK, record_id: row.record_id, recording_info: recordings.toRecordingInfo(row) };
    },
  );

  app.post(
    '/auth/recording/getUploadToken',
    { schema: schema('A short-lived token for PUT /upload/recording/:token', UploadTokenBody, TokenReply) },
    async (request) => {
      const { token } = await recordings.uploadToken(app.db, request.apiClient!, request.body, app.config.tokenTtlMs);
      return { ...OK, token };
    },
  );
};

const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 8192 }) });

/** `GET|HEAD /download/recording/:token` and `PUT /upload/recording/:token`: the token is the credential. */
export const recordingFileRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Upload bodies are raw bytes, streamed to disk: never buffered, whatever their type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  downloadRoute(
    app,
    {
      prefix: '/download/recording',
      tags,
      summary: 'Download a recording (HTTP Range supported); errors are text/plain',
      produces: ['application/octet-stream'],
    },
    recordings.fileOfDownloadToken,
  );

  app.put(
    '/upload/recording/:token',
    {
      bodyLimit: app.config.maxUploadBytes,
      schema: {
        tags,
        summary: 'Upload a recording file as the raw body; answers the registered recording',
        params: TokenParams,
        consumes: ['application/octet-stream'],
        response: { 200: RecordReply },
      },
    },
    async (request) => {
      const declaredBytes = Number(request.headers['content-length'] ?? 0);
      const body = (request.body ?? undefined) as Readable | undefined;
      const row = await recordings.receiveUpload(app.db, app.storage, request.params.token, body, {
        maxBytes: app.config.maxUploadBytes,
        declaredBytes,
      });
      return { ...OK, record_id: row.record_id, recording_info: recordings.toRecordingInfo(row) };
    },
  );
};
