import { BENCH_ACCOUNTS, BENCH_USERS } from './identities.js';
import type { Dataset } from './types.js';
import { scaled } from './types.js';

export const REPORT_CHANNELS = 2000;
/** Channel 1 (account 1) is the hot one; channel 2 (account 2) a typical one. */
export const HOT_CHANNEL = 1;
export const TYPICAL_CHANNEL = 2;
export const HOT_FIELD = 1;
const STATES_PER_ACCOUNT = 5;
const DAY = 86_400_000;

const accountOfChannel = (channel: number) => ((channel - 1) % BENCH_ACCOUNTS) + 1;

/**
 * Contract §6: 5,000,000 reports over 2,000 channels in the year before `now`, the hot channel
 * with 250,000; one read per report on average; an alert for 1 report in 100, delivered to 10
 * users, half of them opened; an image for 1 report in 10. The hot channel's form has a DropDown field with four options.
 * The pre-aggregated counts are rebuilt from these rows after the load.
 */
export const reports: Dataset = {
  name: 'reports',
  loads: ({ scale, random, now }) => {
    const total = scaled(5_000_000, scale, 5000);
    const hot = Math.round(total / 20);
    const users = scaled(BENCH_USERS, scale, 100);
    // Users of an account: ids 2.. with (i % accounts) + 1 = account (see identities.ts).
    const userOf = (account: number) =>
      2 + (account - 1) + BENCH_ACCOUNTS * random.int(0, Math.floor(users / BENCH_ACCOUNTS) - 1);
    const created = new Float64Array(total);
    const channelOf = new Int32Array(total);
    const alerts = Math.floor(total / 100);
    return [
      {
        table: 'channels',
        columns: ['id', 'account_id', 'name', 'created_at'],
        count: REPORT_CHANNELS,
        *rows() {
          for (let c = 1; c <= REPORT_CHANNELS; c++) yield [c, accountOfChannel(c), `Channel ${c}`, now - 400 * DAY];
        },
      },
      {
        table: 'states',
        columns: ['id', 'account_id', 'name', 'created_at'],
        count: BENCH_ACCOUNTS * STATES_PER_ACCOUNT,
        *rows() {
          for (let a = 1; a <= BENCH_ACCOUNTS; a++)
            for (let s = 0; s < STATES_PER_ACCOUNT; s++)
              yield [
                (a - 1) * STATES_PER_ACCOUNT + s + 1,
                a,
                ['New', 'Open', 'In progress', 'Resolved', 'Closed'][s]!,
                now - 400 * DAY,
              ];
        },
      },
      {
        table: 'forms',
        columns: ['id', 'account_id', 'channel_id', 'name', 'created_at'],
        count: 1,
        *rows() {
          yield [1, 1, HOT_CHANNEL, 'Incident', now - 400 * DAY];
        },
      },
      {
        table: 'form_fields',
        columns: ['id', 'account_id', 'form_id', 'name', 'field_type', 'position'],
        count: 1,
        *rows() {
          yield [HOT_FIELD, 1, 1, 'Severity', 'DropDown', 0];
        },
      },
      {
        table: 'field_options',
        columns: ['id', 'field_id', 'name', 'value', 'position'],
        count: 4,
        *rows() {
          for (let o = 1; o <= 4; o++)
            yield [o, HOT_FIELD, ['Low', 'Medium', 'High', 'Critical'][o - 1]!, `f_1_1_1_1_${o}`, o - 1];
        },
      },
      {
        table: 'reports',
        columns: ['id', 'account_id', 'channel_id', 'form_id', 'user_id', 'state_id', 'created_at', 'option_ids'],
        count: total,
        *rows() {
          for (let i = 0; i < total; i++) {
            const channel = i < hot ? HOT_CHANNEL : random.int(2, REPORT_CHANNELS);
            const account = accountOfChannel(channel);
            const at = now - random.int(0, 365 * DAY);
            created[i] = at;
            channelOf[i] = channel;
            const state =
              random.int(0, 9) === 0 ? null : (account - 1) * STATES_PER_ACCOUNT + random.int(1, STATES_PER_ACCOUNT);
            // The hot channel's reports are of its form, with a Severity chosen.
            const hotForm = channel === HOT_CHANNEL;
            yield [
              i + 1,
              account,
              channel,
              hotForm ? 1 : null,
              userOf(account),
              state,
              at,
              hotForm ? `[${random.int(1, 4)}]` : null,
            ];
          }
        },
      },
      {
        table: 'report_reads',
        columns: ['id', 'report_id', 'channel_id', 'user_id', 'read_at'],
        count: total,
        *rows() {
          // One read per report on average: 0, 1 or 2 reads.
          let id = 0;
          for (let i = 0; i < total && id < total; i++) {
            const n = random.int(0, 2);
            for (let k = 0; k < n && id < total; k++)
              yield [
                ++id,
                i + 1,
                channelOf[i]!,
                userOf(accountOfChannel(channelOf[i]!)),
                created[i]! + random.int(1, 3 * DAY),
              ];
          }
          // Top up to exactly `total` reads.
          while (id < total) {
            const i = random.int(0, total - 1);
            yield [
              ++id,
              i + 1,
              channelOf[i]!,
              userOf(accountOfChannel(channelOf[i]!)),
              created[i]! + random.int(1, 3 * DAY),
            ];
          }
        },
      },
      {
        // Rows only (no files): reports_images lists and signs, it never opens the images.
        table: 'report_images',
        columns: [
          'id',
          'account_id',
          'channel_id',
          'report_id',
          'report_created_at',
          'created_at',
          'path',
          'format',
          'width',
          'height',
          'bytes',
        ],
        count: Math.floor(total / 10),
        *rows() {
          for (let k = 0; k < Math.floor(total / 10); k++) {
            const i = k * 10;
            yield [
              k + 1,
              accountOfChannel(channelOf[i]!),
              channelOf[i]!,
              i + 1,
              created[i]!,
              created[i]! + 120_000,
              `report-images/bench/${k + 1}`,
              'jpeg',
              4032,
              3024,
              2_500_000,
            ];
          }
        },
      },
      {
        table: 'alerts',
        columns: ['id', 'account_id', 'report_id', 'channel_id', 'created_at'],
        count: alerts,
        *rows() {
          for (let a = 0; a < alerts; a++) {
            const i = a * 100;
            yield [a + 1, accountOfChannel(channelOf[i]!), i + 1, channelOf[i]!, created[i]! + 60_000];
          }
        },
      },
      {
        table: 'alert_deliveries',
        columns: ['id', 'alert_id', 'report_id', 'channel_id', 'user_id', 'sent_at'],
        count: alerts * 10,
        *rows() {
          for (let a = 0; a < alerts; a++) {
            const i = a * 100;
            for (let k = 0; k < 10; k++)
              yield [
                a * 10 + k + 1,
                a + 1,
                i + 1,
                channelOf[i]!,
                userOf(accountOfChannel(channelOf[i]!)),
                created[i]! + 60_000 + k * 1000,
              ];
          }
        },
      },
      {
        table: 'alert_opens',
        columns: ['id', 'alert_id', 'user_id', 'opened_at'],
        count: alerts * 5,
        *rows() {
          for (let a = 0; a < alerts; a++) {
            const i = a * 100;
            for (let k = 0; k < 5; k++)
              yield [a * 5 + k + 1, a + 1, userOf(accountOfChannel(channelOf[i]!)), created[i]! + 3_600_000];
          }
        },
      },
    ];
  },
  afterLoad: async (db) => {
    const { rebuildReportCounts } = await import('../../src/reports/counts/rebuild-report-counts.js');
    await rebuildReportCounts(db);
  },
};
