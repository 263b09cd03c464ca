import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { actingAccountId, requirePermission, requireUser } from '../auth/hooks.js';
import { bearerSecurity, IdParams, reportsErrorResponses } from '../http/schemas.js';
import { toIso } from '../shared/time.js';
import {
  Alert,
  AlertBody,
  ChannelPage,
  ChannelsQuery,
  ReportsExportPage,
  ReportsExportQuery,
  DeliveriesBody,
  Form,
  FormBody,
  FormsQuery,
  Named,
  NamedBody,
  Open,
  OpenBody,
  Read,
  ReadBody,
  Report,
  ReportBody,
  ReportPatch,
} from './schemas.js';
import * as reports from './service.js';
import { importNdjson } from './import.js';
import { exportCsv, exportPage, openExport } from './export.js';
import { sendCsv, wantsCsv, windowFileName } from '../http/csv.js';
import { Readable } from 'node:stream';
import { invalidParams } from '../http/errors.js';

const tags = ['reports v4: data in'];
const security = bearerSecurity;
const created = <T extends { created_at: number }>(row: T) => ({ ...row, created_at: toIso(row.created_at) });
const alertJson = (a: {
  id: number;
  account_id: number;
  report_id: number;
  created_at: number;
  deliveries: number;
}) => ({
  id: a.id,
  account_id: a.account_id,
  report_id: a.report_id,
  created_at: toIso(a.created_at),
  deliveries: a.deliveries,
});

/** `/api/v4/{channels,states,forms,reports,alerts}`: the data the analytics count (Reports API v4). */
export const reportDataRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', requireUser);
  // NDJSON is streamed line by line into the import, never buffered whole.
  app.addContentTypeParser('application/x-ndjson', (_request, payload, done) => done(null, payload));

  app.post(
    '/api/v4/import',
    {
      preHandler: requirePermission('manage-reports'),
      bodyLimit: app.config.maxUploadBytes,
      schema: {
        tags,
        summary:
          'Import NDJSON (report, read, alert, alert_delivery, alert_open lines), all or nothing; the error names the line',
        security,
        consumes: ['application/x-ndjson'],
        response: {
          201: Type.Object({
            lines: Type.Integer(),
            reports: Type.Integer(),
            reads: Type.Integer(),
            alerts: Type.Integer(),
            deliveries: Type.Integer(),
            opens: Type.Integer(),
          }),
          ...reportsErrorResponses,
        },
      },
    },
    async (request, reply) => {
      if (!(request.body instanceof Readable)) throw invalidParams('send the file as application/x-ndjson');
      return reply.code(201).send(await importNdjson(app.db, request.user!, request.body));
    },
  );

  for (const [table, permission] of [
    ['channels', 'manage-channels'],
    ['states', 'manage-states'],
  ] as const) {
    app.post(
      `/api/v4/${table}`,
      {
        preHandler: requirePermission(permission),
        schema: {
          tags,
          summary: `Create a ${table.slice(0, -1)}`,
          security,
          body: NamedBody,
          response: { 201: Named, ...reportsErrorResponses },
        },
      },
      async (request, reply) => {
        const accountId = await actingAccountId(request, request.body.account_id);
        return reply.code(201).send(created(await reports.createNamed(app.db, table, accountId, request.body.name)));
      },
    );
  }

  app.post(
    '/api/v4/forms',
    {
      preHandler: requirePermission('manage-forms'),
      schema: {
        tags,
        summary: 'Create a form with typed fields and options',
        security,
        body: FormBody,
        response: { 201: Form, ...reportsErrorResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(created(await reports.createForm(app.db, request.user!, request.body))),
  );

  app.get(
    '/api/v4/reports',
    {
      preHandler: requirePermission('view-analytics'),
      schema: {
        tags,
        summary:
          'Raw export of a channel’s reports in a window, oldest first: pages of JSON by cursor, or one streamed CSV (format=csv)',
        security,
        querystring: ReportsExportQuery,
        response: { 200: ReportsExportPage, ...reportsErrorResponses },
      },
    },
    async (request, reply) => {
      const window = await openExport(app.db, request.user!, request.query);
      if (!wantsCsv(request)) return exportPage(app.db, window, request.query.limit, request.query.cursor);
      return sendCsv(reply, windowFileName('reports', window), await exportCsv(app.db, window));
    },
  );

  app.get(
    '/api/v4/channels',
    {
      schema: {
        tags,
        summary: 'The account’s channels by name, paged and searchable, with their recent report counts',
        security,
        querystring: ChannelsQuery,
        response: { 200: ChannelPage, ...reportsErrorResponses },
      },
    },
    async (request) => {
      const { account_id, ...query } = request.query;
      const page = await reports.listChannels(app.db, await actingAccountId(request, account_id), query);
      return { total: page.total, items: page.items.map(created) };
    },
  );

  app.get(
    '/api/v4/channels/:id',
    {
      schema: {
        tags,
        summary: 'A channel of the caller’s account (any account for admins)',
        security,
        params: IdParams,
        response: { 200: Named, ...reportsErrorResponses },
      },
    },
    async (request) => created(await reports.getChannel(app.db, request.user!, request.params.id)),
  );

  app.get(
    '/api/v4/forms',
    {
      schema: {
        tags,
        summary: 'Forms of a channel, with field ids and option values',
        security,
        querystring: FormsQuery,
        response: { 200: Type.Array(Form), ...reportsErrorResponses },
      },
    },
    async (request) => (await reports.listForms(app.db, request.user!, request.query.channel_id)).map(created),
  );

  app.post(
    '/api/v4/reports',
    {
      preHandler: requirePermission('post-reports'),
      schema: {
        tags,
        summary: 'Post a report',
        security,
        body: ReportBody,
        response: { 201: Report, ...reportsErrorResponses },
      },
    },
    async (request, reply) =>
      reply.code(201).send(created(await reports.createReport(app.db, request.user!, request.body))),
  );

  app.patch(
    '/api/v4/reports/:id',
    {
      preHandler: requirePermission('manage-reports'),
      schema: {
        tags,
        summary: 'Change the state of a report',
        security,
        params: IdParams,
        body: ReportPatch,
        response: { 200: Report, ...reportsErrorResponses },
      },
    },
    async (request) =>
      created(await reports.setReportState(app.db, request.user!, request.params.id, request.body.state_id)),
  );

  app.post(
    '/api/v4/reports/:id/reads',
    {
      preHandler: requirePermission('post-reads'),
      schema: {
        tags,
        summary: 'Record that a user read a report',
        security,
        params: IdParams,
        body: ReadBody,
        response: { 201: Read, ...reportsErrorResponses },
      },
    },
    async (request, reply) => {
      const read = await reports.addRead(app.db, request.user!, request.params.id, request.body);
      return reply
        .code(201)
        .send({ id: read.id, report_id: read.report_id, user_id: read.user_id, read_at: toIso(read.read_at) });
    },
  );

  app.post(
    '/api/v4/alerts',
    {
      preHandler: requirePermission('send-alerts'),
      schema: {
        tags,
        summary: 'Alert users about a report (one delivery each)',
        security,
        body: AlertBody,
        response: { 201: Alert, ...reportsErrorResponses },
      },
    },
    async (request, reply) => {
      const alert = await reports.createAlert(app.db, request.user!, request.body);
      return reply.code(201).send(alertJson(alert));
    },
  );

  app.post(
    '/api/v4/alerts/:id/deliveries',
    {
      preHandler: requirePermission('send-alerts'),
      schema: {
        tags,
        summary: 'Deliver an alert again',
        security,
        params: IdParams,
        body: DeliveriesBody,
        response: { 201: Alert, ...reportsErrorResponses },
      },
    },
    async (request, reply) => {
      const alert = await reports.addDeliveries(app.db, request.user!, request.params.id, request.body);
      return reply.code(201).send(alertJson(alert));
    },
  );

  app.post(
    '/api/v4/alerts/:id/open',
    {
      preHandler: requirePermission('open-alerts'),
      schema: {
        tags,
        summary: 'Record that a user opened an alert',
        security,
        params: IdParams,
        body: OpenBody,
        response: { 201: Open, ...reportsErrorResponses },
      },
    },
    async (request, reply) => {
      const open = await reports.openAlert(app.db, request.user!, request.params.id, request.body);
      return reply
        .code(201)
        .send({ id: open.id, alert_id: open.alert_id, user_id: open.user_id, opened_at: toIso(open.opened_at) });
    },
  );
};
