/**
 * The pre-aggregated report counts: how many reports per key (channel; channel and state; channel
 * and user; field and option) per UTC bucket, kept at several widths so that a window is folded
 * from few rows. A level's number is what the `level` column stores; the numbers follow the order
 * the migrations added the levels in (0012 added 8 days after 32 days), not their width, so every
 * list below names them and orders them by width.
 */

/** The narrowest bucket: a quarter hour (unix ms / BUCKET_MS). Zones at +05:30 and +05:45 need it. */
export const BUCKET_MS = 900_000;

/** Stored level numbers, by name. */
export const LEVEL = { quarterHour: 0, hour: 1, day: 2, thirtyTwoDays: 3, eightDays: 4 } as const;

/** Width of each stored level, in quarter hours, by level number. */
export const LEVEL_SIZES: Readonly<Record<number, number>> = {
  [LEVEL.quarterHour]: 1,
  [LEVEL.hour]: 4,
  [LEVEL.day]: 96,
  [LEVEL.eightDays]: 8 * 96,
  [LEVEL.thirtyTwoDays]: 32 * 96,
};

/** Channel totals, narrowest first: quarter hours, hours and UTC days. */
export const TOTAL_LEVELS = [LEVEL.quarterHour, LEVEL.hour, LEVEL.day] as const;

/**
 * The channel-total levels a fold by local hour or local day may use: a UTC day straddles two
 * local days in every zone but UTC, so only quarter hours and hours (every whole-hour zone aligns).
 */
export const LOCAL_UNIT_LEVELS = [LEVEL.quarterHour, LEVEL.hour] as const;

/**
 * Per state, user and option counts ignore zones: hours, days, 8-day and 32-day spans (narrowest
 * first). Hours, not quarter hours (0015): a report spread over a year of quarter hours was a new
 * counter row per key it has, which made most of an import's writes; the partial hours at a
 * window's edges are read raw instead (a few dozen reports on the busiest channel).
 */
export const KEYED_LEVELS = [LEVEL.hour, LEVEL.day, LEVEL.eightDays, LEVEL.thirtyTwoDays] as const;

export type CountTable = 'report_counts' | 'report_state_counts' | 'report_user_counts' | 'report_option_counts';

/** The levels each count table keeps, narrowest first. */
export const LEVELS_OF: Record<CountTable, readonly number[]> = {
  report_counts: TOTAL_LEVELS,
  report_state_counts: KEYED_LEVELS,
  report_user_counts: KEYED_LEVELS,
  report_option_counts: KEYED_LEVELS,
};

/** The key columns of each count table (then level, bucket, total). */
export const KEY_COLUMNS: Record<CountTable, readonly [string, string?]> = {
  report_counts: ['channel_id'],
  report_state_counts: ['channel_id', 'state_id'],
  report_user_counts: ['channel_id', 'user_id'],
  report_option_counts: ['field_id', 'option_id'],
};
