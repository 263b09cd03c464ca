import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Readable } from 'node:stream';
import { actingAccountId, requirePermission, requireUser } from '../auth/hooks.js';
import { bearerSecurity, reportsErrorResponses } from '../http/schemas.js';
import { recordsToCsv, scalarFieldsOf, sendCsv, wantsCsv } from '../http/csv.js';
import { RecordingInfo } from './schemas.js';
import { sendStoredFile } from '../storage/download.js';
import { MAX_SUBTITLE_BYTES, putSubtitle, recordingRooms, subtitlePath } from './library.js';
import * as recordings from './service.js';
import { deleteRecording } from './deletion.js';
import {
  AccountQuery,
  MetadataPatch,
  RecordingDetail,
  RecordingMetadata,
  RecordingPage,
  RecordingsQuery,
  RecordParams,
  RoomPage,
  RoomsQuery,
  SubtitleParams,
  SubtitleQuery,
} from './user.schemas.js';

/** A recording's fixed columns, first (its metadata's dotted columns follow, as its recordings have them). */
const RECORDING_COLUMNS = scalarFieldsOf(RecordingInfo);

/**
 * The recording library for people (the console, or any client with a user token or the console's
 * cookie), where plugNmeet's API is for servers: reading for analysts and above (`view-records`),
 * changes for managers and admins (`manage-records`). Same rows and files as `/auth/recording/*`.
 */
export const recordingUserRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', requireUser);
  app.addHook('preHandler', requirePermission('view-records'));
  const manage = requirePermission('manage-records');
  const tags = ['recordings'];
  const security = bearerSecurity;
  const errors = reportsErrorResponses;
  const account = (request: Parameters<typeof actingAccountId>[0], id: number | undefined) =>
    actingAccountId(request, id);

  app.get(
    '/api/v4/recording-rooms',
    {
      schema: {
        tags,
        summary: 'Rooms with recordings, by room id',
        security,
        querystring: RoomsQuery,
        response: { 200: RoomPage, ...errors },
      },
    },
    async (request) => {
      const { account_id, from, limit } = request.query;
      return recordingRooms(app.db, await account(request, account_id), from, limit);
    },
  );

  app.get(
    '/api/v4/recordings',
    {
      schema: {
        tags,
        summary: 'A room’s recordings, newest first (or order_by=ASC), paged; format=csv for CSV',
        security,
        querystring: RecordingsQuery,
        response: { 200: RecordingPage, ...errors },
      },
    },
    async (request, reply) => {
      const { account_id, room_id, from, limit, order_by } = request.query;
      const params = recordings.fetchParams({ room_ids: [room_id], from, limit, order_by });
      const { total, rows } = await recordings.fetchRecordings(app.db, await account(request, account_id), params);
      const items = rows.map(recordings.toRecordingInfo);
      if (wantsCsv(request)) return sendCsv(reply, `recordings_${room_id}`, recordsToCsv(items, RECORDING_COLUMNS));
      return { total, items };
    },
  );

  app.get(
    '/api/v4/recordings/:record_id',
    {
      schema: {
        tags,
        summary: 'A recording and its room (as plugNmeet’s recording/info)',
        security,
        params: RecordParams,
        querystring: AccountQuery,
        response: { 200: RecordingDetail, ...errors },
      },
    },
    async (request) => {
      const accountId = await account(request, request.query.account_id);
      const row = await recordings.getRecording(app.db, accountId, request.params.record_id);
      return {
        recording_info: recordings.toRecordingInfo(row),
        room_info: await recordings.roomOfRecording(app.db, accountId, row),
      };
    },
  );

  app.patch(
    '/api/v4/recordings/:record_id',
    {
      preHandler: manage,
      schema: {
        tags,
        summary: 'Change a recording’s title, description or extra data (managers and admins)',
        security,
        params: RecordParams,
        body: MetadataPatch,
        response: { 200: RecordingMetadata, ...errors },
      },
    },
    async (request) => {
      const { account_id, ...patch } = request.body;
      return recordings.updateRecordingMetadata(
        app.db,
        await account(request, account_id),
        request.params.record_id,
        patch,
      );
    },
  );

  app.delete(
    '/api/v4/recordings/:record_id',
    {
      preHandler: manage,
      schema: {
        tags,
        summary: 'Delete a recording, its file and its stored subtitles (managers and admins)',
        security,
        params: RecordParams,
        querystring: AccountQuery,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const accountId = await account(request, request.query.account_id);
      await deleteRecording(app.db, app.storage, accountId, request.params.record_id, app.config.trashDays);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v4/recordings/:record_id/file',
    {
      schema: {
        tags,
        summary: 'The recording’s file, with Range (players seek)',
        security,
        params: RecordParams,
        querystring: AccountQuery,
      },
    },
    async (request, reply) => {
      const row = await recordings.getRecording(
        app.db,
        await account(request, request.query.account_id),
        request.params.record_id,
      );
      return sendStoredFile(request, reply, app.storage, { ok: true, path: recordings.recordingFile(row) });
    },
  );

  // WebVTT arrives as the raw body; it is read whole (at most MAX_SUBTITLE_BYTES) by the service.
  app.addContentTypeParser(['text/vtt', 'text/plain'], (_request, payload, done) => done(null, payload));

  app.put(
    '/api/v4/recordings/:record_id/subtitles/:lang',
    {
      preHandler: manage,
      bodyLimit: MAX_SUBTITLE_BYTES,
      schema: {
        tags,
        summary: 'Store a WebVTT subtitle in a language and name it in the metadata (managers and admins)',
        security,
        params: SubtitleParams,
        querystring: SubtitleQuery,
        response: { 200: RecordingMetadata, ...errors },
      },
    },
    async (request) => {
      const { account_id, label } = request.query;
      return putSubtitle(app.db, app.storage, await account(request, account_id), request.params.record_id, {
        lang: request.params.lang,
        label,
        body: request.body as Readable | undefined,
      });
    },
  );

  app.get(
    '/api/v4/recordings/:record_id/subtitles/:lang',
    {
      schema: {
        tags,
        summary: 'A stored WebVTT subtitle',
        security,
        params: SubtitleParams,
        querystring: AccountQuery,
      },
    },
    async (request, reply) => {
      const accountId = await account(request, request.query.account_id);
      const path = await subtitlePath(app.db, app.storage, accountId, request.params.record_id, request.params.lang);
      return reply
        .type('text/vtt; charset=utf-8')
        .header('cache-control', 'private, no-cache')
        .send(app.storage.read(path));
    },
  );
};
