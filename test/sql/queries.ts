import type { Kysely } from 'kysely';
import * as auth from '../../src/auth/repository.js';
import type { Database } from '../../src/db/schema.js';
import * as recordings from '../../src/recordings/repository.js';
import { MAP_KIND } from '../../src/reports/counts/count-maps.js';
import { sumCountMaps } from '../../src/reports/counts/map-reads.js';
import { foldLocalDaysFromMaps } from '../../src/reports/counts/day-maps.js';
import { getAwarenessCounts } from '../../src/reports/analytics/queries/get-awareness-counts.js';
import { getCountsByKey } from '../../src/reports/analytics/queries/get-counts-by-key.js';
import { getCountsByLocalUnit } from '../../src/reports/analytics/queries/get-counts-by-local-unit.js';
import { getCountsByPiece } from '../../src/reports/analytics/queries/get-counts-by-piece.js';
import { getImageIdsBetween, getImagesBetween } from '../../src/reports/analytics/queries/get-images-between.js';
import { getOptionIdsBetween } from '../../src/reports/analytics/queries/get-option-ids-between.js';
import { getReadCounts } from '../../src/reports/analytics/queries/get-read-counts.js';
import { getReportsBetween } from '../../src/reports/analytics/queries/get-reports-between.js';
import { CountDeltas } from '../../src/reports/counts/count-deltas.js';
import { rebuildReportCounts } from '../../src/reports/counts/rebuild-report-counts.js';
import * as reports from '../../src/reports/repository.js';
import * as channels from '../../src/reports/channels.repository.js';
import * as reportExport from '../../src/reports/export.repository.js';
import * as pastRooms from '../../src/sessions/past-rooms.repository.js';
import * as sessions from '../../src/sessions/repository.js';
import * as statistics from '../../src/statistics/repository.js';
import * as webhooks from '../../src/webhooks/repository.js';
import * as trash from '../../src/storage/trash.js';

/**
 * Every repository query, called with representative values, by snapshot file. Queries built from
 * a varying number of arms (rooms, ranges, ids) appear at a few shapes. A new repository function
 * gets an entry here, and its SQL then shows in review as a change of test/sql/.
 */
type Call = (db: Kysely<Database>) => Promise<unknown>;

const T = 1_760_000_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const drain = async <T>(rows: AsyncIterable<T>) => {
  for await (const _row of rows) break;
};
const recording = {
  account_id: 1,
  record_id: 'rec-1',
  room_id: 'room-1',
  room_sid: 'sid-1',
  room_title: '',
  file_path: 'room-1/rec-1/a.webm',
  file_size: 100,
  creation_time: T,
  room_creation_time: T,
  metadata: '{}',
  created_at: T * 1000,
};
const report = {
  account_id: 1,
  channel_id: 1,
  form_id: 1,
  user_id: 1,
  state_id: 1,
  created_at: T * 1000,
  field_values: null,
  option_ids: '[1]',
};
const page = { accountId: 1, direction: 'desc', offset: 0, limit: 20 } as const;

export const QUERIES: Record<string, Record<string, Call>> = {
  auth: {
    insertAccount: (db) => auth.insertAccount(db, 'Acme', T),
    findAccount: (db) => auth.findAccount(db, 1),
    listAccounts: (db) => auth.listAccounts(db),
    renameAccount: (db) => auth.renameAccount(db, 1, 'Acme'),
    countUsers: (db) => auth.countUsers(db),
    insertUser: (db) =>
      auth.insertUser(db, {
        account_id: 1,
        username: 'ann',
        first_name: 'Ann',
        last_name: 'A',
        password_hash: null,
        roles: '[]',
        created_at: T,
        last_login_at: null,
      }),
    findUserById: (db) => auth.findUserById(db, 1),
    findUserByUsername: (db) => auth.findUserByUsername(db, 'ann'),
    'listUsers (every account)': (db) => auth.listUsers(db),
    'listUsers (one account)': (db) => auth.listUsers(db, 1),
    updateUserActive: (db) => auth.updateUserActive(db, 1, false),
    updateLastLogin: (db) => auth.updateLastLogin(db, 1, T),
    insertToken: (db) =>
      auth.insertToken(db, { user_id: 1, token_hash: 'h', created_at: T, expires_at: T, origin: 'login' }),
    findTokenWithUser: (db) => auth.findTokenWithUser(db, 'h'),
    deleteToken: (db) => auth.deleteToken(db, 1),
    deleteTokensOfUser: (db) => auth.deleteTokensOfUser(db, 1),
    insertApiKey: (db) =>
      auth.insertApiKey(db, { account_id: 1, api_key: 'k', api_secret: 's', description: '', created_at: T }),
    findActiveApiKey: (db) => auth.findActiveApiKey(db, 'k'),
    oldestActiveApiKey: (db) => auth.oldestActiveApiKey(db, 1),
    listApiKeys: (db) => auth.listApiKeys(db),
    userNamesInAccount: (db) => auth.userNamesInAccount(db, 1, [1, 2]),
    revokeApiKey: (db) => auth.revokeApiKey(db, 'k', T),
    getInstanceSetting: (db) => auth.getInstanceSetting(db, 'unique_id'),
    putInstanceSetting: (db) => auth.putInstanceSetting(db, 'unique_id', 'x'),
    putInstanceSettingIfAbsent: (db) => auth.putInstanceSettingIfAbsent(db, 'secret:x', 'x'),
    userTotals: (db) => auth.userTotals(db, T),
    usersInAccount: (db) => auth.usersInAccount(db, 1, [1, 2]),
    namesOfUsers: (db) => auth.namesOfUsers(db, [1, 2]),
  },
  recordings: {
    countRecordingRooms: (db) => recordings.countRecordingRooms(db, 1),
    recordingFilesPage: (db) => recordings.recordingFilesPage(db, 0, 5000),
    pageRecordingRooms: (db) => recordings.pageRecordingRooms(db, 1, 0, 20),
    'roomTotals (3 rooms)': (db) => recordings.roomTotals(db, 1, ['a', 'b', 'c']),
    daysAtPosition: (db) => recordings.daysAtPosition(db, 1, ['a', 'b'], 'desc', 5000),
    'pageByRooms (1 room)': (db) => recordings.pageByRooms(db, { ...page, roomIds: ['a'] }),
    'pageByRooms (3 rooms, ascending, deep page)': (db) =>
      recordings.pageByRooms(db, { ...page, direction: 'asc', roomIds: ['a', 'b', 'c'], notBefore: T }),
    'pageByRooms (2 rooms, descending, deep page)': (db) =>
      recordings.pageByRooms(db, { ...page, roomIds: ['a', 'b'], before: T }),
    countBySession: (db) => recordings.countBySession(db, 1, 'sid-1'),
    'countBySession (with rooms)': (db) => recordings.countBySession(db, 1, 'sid-1', ['a', 'b']),
    pageBySession: (db) => recordings.pageBySession(db, { ...page, roomSid: 'sid-1' }),
    findRecording: (db) => recordings.findRecording(db, 1, 'rec-1'),
    findRecordingById: (db) => recordings.findRecordingById(db, 1, 1),
    findRecordingByPath: (db) => recordings.findRecordingByPath(db, 1, 'room-1/rec-1/a.webm'),
    insertRecording: (db) => recordings.insertRecording(db, recording),
    deleteRecording: (db) => recordings.deleteRecording(db, 1, 'rec-1'),
    updateMetadata: (db) => recordings.updateMetadata(db, 1, '{}'),
    recordingTotals: (db) => recordings.recordingTotals(db),
  },
  sessions: {
    countAnalyticsRooms: (db) => sessions.countAnalyticsRooms(db, 1),
    analyticsFilesPage: (db) => sessions.analyticsFilesPage(db, 0, 5000),
    pageAnalyticsRooms: (db) => sessions.pageAnalyticsRooms(db, 1, 0, 20),
    findSessions: (db) => sessions.findSessions(db, 1, ['s1', 's2']),
    openSession: (db) =>
      sessions.openSession(db, {
        account_id: 1,
        room_id: 'r',
        room_sid: 's',
        room_title: '',
        state: 'open',
        started_at: T,
        last_event_at: T,
        last_seen_at: T,
        ended_at: null,
      }),
    touchSession: (db) =>
      sessions.touchSession(db, 1, T, T, { roomTitle: 'Title', webhookUrl: 'https://example.com/hook' }),
    endSession: (db) => sessions.endSession(db, 1, T),
    endIdleSessions: (db) => sessions.endIdleSessions(db, T),
    endedSessions: (db) => sessions.endedSessions(db, 50),
    closeSession: (db) => sessions.closeSession(db, 1),
    insertEvents: (db) =>
      sessions.insertEvents(db, [
        {
          account_id: 1,
          session_id: 1,
          event_id: 'e1',
          event: 'public_chat',
          time: T,
          user_id: 'u',
          name: null,
          is_admin: null,
          ex_user_id: null,
          value: null,
        },
      ]),
    existingEventIds: (db) => sessions.existingEventIds(db, 1, ['e1', 'e2']),
    'sessionEventsPage (first)': (db) => sessions.sessionEventsPage(db, 1, undefined, 5000),
    'sessionEventsPage (after)': (db) => sessions.sessionEventsPage(db, 1, { time: T, id: 1 }, 5000),
    insertAnalyticsFile: (db) =>
      sessions.insertAnalyticsFile(db, {
        account_id: 1,
        file_id: 'f',
        room_id: 'r',
        room_sid: 's',
        file_name: 'f.json',
        file_path: 'r/f.json',
        file_size: 1,
        creation_time: T,
        room_creation_time: T,
        created_at: T,
      }),
    findAnalyticsFile: (db) => sessions.findAnalyticsFile(db, 1, 'f'),
    findAnalyticsFileById: (db) => sessions.findAnalyticsFileById(db, 1, 1),
    deleteAnalyticsFile: (db) => sessions.deleteAnalyticsFile(db, 1, 'f'),
    roomTotals: (db) => sessions.roomTotals(db, 1, ['a', 'b']),
    'pageByRooms (1 room)': (db) => sessions.pageByRooms(db, { ...page, roomIds: ['a'] }),
    'pageByRooms (3 rooms)': (db) => sessions.pageByRooms(db, { ...page, direction: 'asc', roomIds: ['a', 'b', 'c'] }),
    analyticsTotals: (db) => sessions.analyticsTotals(db),
    'countPastSessions (every room)': (db) => pastRooms.countPastSessions(db, 1, []),
    'countPastSessions (2 rooms)': (db) => pastRooms.countPastSessions(db, 1, ['a', 'b']),
    'pagePastSessions (every room)': (db) => pastRooms.pagePastSessions(db, { ...page, roomIds: [] }),
    'pagePastSessions (2 rooms, ascending)': (db) =>
      pastRooms.pagePastSessions(db, { ...page, direction: 'asc', roomIds: ['a', 'b'] }),
    findSessionBySid: (db) => pastRooms.findSessionBySid(db, 1, 's'),
    joinedParticipants: (db) => pastRooms.joinedParticipants(db, [1, 2]),
    'countArtifacts (every room)': (db) => pastRooms.countArtifacts(db, { accountId: 1, roomIds: [] }),
    'countArtifacts (2 rooms, one session)': (db) =>
      pastRooms.countArtifacts(db, { accountId: 1, roomIds: ['a', 'b'], roomSid: 's' }),
    pageArtifacts: (db) => pastRooms.pageArtifacts(db, { ...page, roomIds: ['a'] }),
    analyticsFileIdsOfSessions: (db) => pastRooms.analyticsFileIdsOfSessions(db, 1, ['s1', 's2']),
  },
  statistics: {
    insertSnapshot: (db) => statistics.insertSnapshot(db, { id: 'a'.repeat(24), created_at: T, document: '{}' }),
    newestSnapshot: (db) => statistics.newestSnapshot(db),
    deleteSnapshotsBefore: (db) => statistics.deleteSnapshotsBefore(db, T),
    'countSnapshots (no bounds)': (db) => statistics.countSnapshots(db, { complete: true }),
    'countSnapshots (range and id)': (db) =>
      statistics.countSnapshots(db, {
        complete: true,
        after: { ms: T, inclusive: true },
        before: { ms: T + 1, inclusive: false },
        id: 'a'.repeat(24),
      }),
    pageSnapshots: (db) =>
      statistics.pageSnapshots(db, { complete: true, after: { ms: T, inclusive: false } }, 'desc', 0, 50),
    scanSnapshots: (db) => drain(statistics.scanSnapshots(db, { complete: false }, 'asc')),
    heartbeat: (db) => statistics.heartbeat(db, 'i', T, T),
    removeInstance: (db) => statistics.removeInstance(db, 'i'),
    liveInstances: (db) => statistics.liveInstances(db, T),
    migrationState: (db) => statistics.migrationState(db),
  },
  reports: {
    insertNamed: (db) => reports.insertNamed(db, 'channels', { account_id: 1, name: 'North', created_at: T }),
    findNamed: (db) => reports.findNamed(db, 'states', 1),
    insertForm: (db) => reports.insertForm(db, { account_id: 1, channel_id: 1, name: 'F', created_at: T }),
    insertField: (db) =>
      reports.insertField(db, { account_id: 1, form_id: 1, name: 'kind', field_type: 'Radio', position: 0 }),
    insertOptions: (db) => reports.insertOptions(db, [{ field_id: 1, name: 'a', value: 'a', position: 0 }]),
    findForm: (db) => reports.findForm(db, 1),
    formsOfChannel: (db) => reports.formsOfChannel(db, 1),
    fieldsOfForms: (db) => reports.fieldsOfForms(db, [1, 2]),
    findField: (db) => reports.findField(db, 1),
    addChannelTotals: (db) => reports.addChannelTotals(db, 1, 1, { reports: 1 }),
    reportTotals: (db) => reports.reportTotals(db),
    insertReport: (db) => reports.insertReport(db, report, [{ field_id: 1, option_id: 1 }]),
    insertReports: (db) =>
      reports.insertReports(
        db,
        [{ id: 1, row: report, selections: [{ field_id: 1, option_id: 1 }] }],
        new CountDeltas(),
      ),
    findReport: (db) => reports.findReport(db, 1),
    chosenOptions: (db) => reports.chosenOptions(db, [1, 2]),
    updateReportState: (db) => reports.updateReportState(db, { id: 1, ...report, state_id: 2 }, 1),
    insertRead: (db) => reports.insertRead(db, 1, { report_id: 1, channel_id: 1, user_id: 1, read_at: T }),
    insertAlert: (db) => reports.insertAlert(db, { account_id: 1, report_id: 1, channel_id: 1, created_at: T }),
    findAlert: (db) => reports.findAlert(db, 1),
    insertDeliveries: (db) =>
      reports.insertDeliveries(db, { id: 1, account_id: 1, report_id: 1, channel_id: 1 }, [1, 2], T),
    insertOpen: (db) => reports.insertOpen(db, { id: 1, account_id: 1, channel_id: 1 }, { user_id: 1, opened_at: T }),
    stateNames: (db) => reports.stateNames(db, [1, 2]),
    optionsOfField: (db) => reports.optionsOfField(db, 1),
    insertImage: (db) =>
      reports.insertImage(db, {
        account_id: 1,
        channel_id: 1,
        report_id: 1,
        report_created_at: T,
        created_at: T,
        path: 'p',
        format: 'png',
        width: 1,
        height: 1,
        bytes: 1,
      }),
    findImage: (db) => reports.findImage(db, 1),
    rebuildReportCounts: (db) => rebuildReportCounts(db),
  },
  'reports-analytics': {
    'getCountsByLocalUnit (hour of day, one whole-hour offset)': (db) =>
      getCountsByLocalUnit(db, 1, [{ offsetMs: 3_600_000, from: 0, to: 96 * 3 + 2 }], 'hourOfDay'),
    'getCountsByLocalUnit (week day, +05:45 across a DST change)': (db) =>
      getCountsByLocalUnit(
        db,
        1,
        [
          { offsetMs: 20_700_000, from: 0, to: 8 },
          { offsetMs: 24_300_000, from: 8, to: 16 },
        ],
        'dow',
      ),
    'getCountsByPiece (3 days of hours)': (db) =>
      getCountsByPiece(
        db,
        1,
        [0, 1, 2].map((d) => ({ from: d * 96, to: (d + 1) * 96 })),
      ),
    'getCountsByKey (states, a week)': (db) => getCountsByKey(db, 'state', 1, [[4, 96 * 7 + 8]]),
    'getCountsByKey (options, a year)': (db) => getCountsByKey(db, 'option', 1, [[0, 96 * 365]]),
    'sumCountMaps (users, a year at UTC days, 8 and 32 days)': (db) =>
      sumCountMaps(db, 1, MAP_KIND.user, [
        { group: 0, level: 2, from: 3, to: 8 },
        { group: 0, level: 4, from: 1, to: 4 },
        { group: 0, level: 3, from: 1, to: 11 },
      ]),
    'foldLocalDaysFromMaps (a year in two offsets)': (db) =>
      foldLocalDaysFromMaps(
        db,
        1,
        [
          { fromDay: 20_000, toDay: 20_100, offsetMs: HOUR },
          { fromDay: 20_101, toDay: 20_365, offsetMs: 2 * HOUR },
        ],
        () => undefined,
      ),
    'getReportsBetween (two edges)': (db) =>
      getReportsBetween(db, 1, [
        [T * 1000, T * 1000 + HOUR / 4],
        [T * 1000 + 2 * HOUR, T * 1000 + 3 * HOUR],
      ]),
    'getOptionIdsBetween (one edge)': (db) => getOptionIdsBetween(db, 1, 1, [[T * 1000, T * 1000 + HOUR]]),
    'getReadCounts (total only)': (db) => getReadCounts(db, 1, T, T + HOUR, ['total_reads']),
    'getReadCounts (every field)': (db) =>
      getReadCounts(db, 1, T, T + HOUR, ['total_reads', 'unique_reads', 'report_readers', 'reports_seen']),
    'getReadCounts (whole days)': (db) =>
      getReadCounts(db, 1, T, T + 40 * DAY, ['total_reads', 'unique_reads', 'report_readers', 'reports_seen']),
    getAwarenessCounts: (db) => getAwarenessCounts(db, 1, T, T + HOUR, async (userIds) => userIds),
    getImagesBetween: (db) => getImagesBetween(db, { channelId: 1, from: T, to: T + HOUR, offset: 0, limit: 1000 }),
    getImageIdsBetween: (db) => getImageIdsBetween(db, { channelId: 1, from: T, to: T + HOUR, offset: 0, limit: 1000 }),
    'countChannels (search)': (db) => channels.countChannels(db, 1, '50%'),
    pageChannels: (db) => channels.pageChannels(db, { accountId: 1, offset: 0, limit: 50 }),
    reportsOnDays: (db) => channels.reportsOnDays(db, [1, 2], 20_000, 20_029),
    newestReportIds: (db) => channels.newestReportIds(db, 1, 100),
    'pageReports (first page)': (db) =>
      reportExport.pageReports(db, {
        channelId: 1,
        start: T * 1000,
        end: T * 1000 + HOUR,
        after: undefined,
        limit: 101,
      }),
    'pageReports (after a cursor)': (db) =>
      reportExport.pageReports(db, {
        channelId: 1,
        start: T * 1000,
        end: T * 1000 + HOUR,
        after: { createdAt: T * 1000, id: 5 },
        limit: 2000,
      }),
    formsInWindow: (db) => reportExport.formsInWindow(db, { channelId: 1, start: T * 1000, end: T * 1000 + HOUR }),
    readCounts: (db) => reportExport.readCounts(db, 1, [1, 2]),
    imageCounts: (db) => reportExport.imageCounts(db, [1, 2]),
    formNames: (db) => reportExport.formNames(db, [1, 2]),
    imageFilesPage: (db) => channels.imageFilesPage(db, 0, 5000),
  },
  webhooks: {
    findSettings: (db) => webhooks.findSettings(db, 1),
    putSettings: (db) =>
      webhooks.putSettings(db, { account_id: 1, url: 'https://hooks.example/', signing_api_key: null, updated_at: T }),
    insertDeliveries: (db) =>
      webhooks.insertDeliveries(db, [
        {
          account_id: 1,
          event_id: 'e-1',
          event: 'recording_proceeded',
          url: 'https://hooks.example/',
          host: 'hooks.example',
          body: '{}',
          state: 'pending',
          next_attempt_at: T,
          created_at: T,
        },
      ]),
    'firstDue (no busy host)': (db) => webhooks.firstDue(db, { now: T, busyHosts: [] }),
    'firstDue (busy hosts)': (db) => webhooks.firstDue(db, { now: T, busyHosts: ['a', 'b'] }),
    claimDelivery: (db) => webhooks.claimDelivery(db, { id: 1, now: T, leaseUntil: T + 20_000, claim: 'c-1' }),
    'recordAttempt (delivered)': (db) =>
      webhooks.recordAttempt(db, 1, 'c-1', { state: 'delivered', status: 204, at: T }),
    'recordAttempt (retry)': (db) =>
      webhooks.recordAttempt(db, 1, 'c-1', {
        state: 'pending',
        status: 500,
        error: 'HTTP 500',
        at: T,
        nextAttemptAt: T,
      }),
    pageDeliveries: (db) =>
      webhooks.pageDeliveries(db, { accountId: 1, before: 100, limit: 50, event: 'report_created' }),
    deleteOldDeliveries: (db) => webhooks.deleteOldDeliveries(db, T, 1000),
  },
  trash: {
    putInTrash: (db) =>
      trash.putInTrash(db, {
        accountId: 1,
        kind: 'recording',
        objectId: 'rec-1',
        row: recording,
        now: T * 1000,
        days: 7,
      }),
    findInTrash: (db) => trash.findInTrash(db, 1, 'recording', 'rec-1'),
    removeFromTrash: (db) => trash.removeFromTrash(db, 1),
    'listTrash (one kind)': (db) => trash.listTrash(db, 1, 'analytics'),
    expiredTrash: (db) => trash.expiredTrash(db, 'recording', T * 1000, 100),
  },
};
