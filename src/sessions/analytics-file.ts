import type { Selectable } from 'kysely';
import type { RoomEventsTable } from '../db/schema.js';

/**
 * The analytics file of one room session (plugNmeet's shape, see docs in README): a room block
 * and one block per user, each with events grouped by name as {name, total, values}.
 */

export const SESSION_EVENTS = ['room_started', 'room_finished', 'participant_joined', 'participant_left'] as const;
/** Room-level events (no user): a list of values, total = how many. */
export const ROOM_EVENTS = [
  'recording_status',
  'rtmp_status',
  'poll_added',
  'poll_ended',
  'breakout_room',
  'speech_service',
  'etherpad_status',
  'whiteboard_status',
  'external_media_player_status',
  'external_display_link_status',
] as const;
/** User events whose values matter: a list of {time, value}, total = how many. */
export const USER_VALUE_EVENTS = [
  'mic_status',
  'webcam_status',
  'screen_share_status',
  'raise_hand',
  'connection_quality',
  'reaction',
  'voted_poll',
  'talked',
] as const;
/** User counters: total = sum of the values (talked_duration, in ms) or how many; values empty. */
export const USER_COUNTER_EVENTS = ['talked_duration', 'public_chat', 'private_chat', 'chat_files'] as const;

export const EVENT_NAMES: ReadonlySet<string> = new Set([
  ...SESSION_EVENTS,
  ...ROOM_EVENTS,
  ...USER_VALUE_EVENTS,
  ...USER_COUNTER_EVENTS,
]);
const ROOM_EVENT_SET: ReadonlySet<string> = new Set(ROOM_EVENTS);
const COUNTER_SET: ReadonlySet<string> = new Set(USER_COUNTER_EVENTS);
/** Counters whose total sums the numeric values; the others count events. */
const SUMMED: ReadonlySet<string> = new Set(['talked_duration']);

/** The columns of a stored room event the file is built from. */
export type StoredEvent = Pick<
  Selectable<RoomEventsTable>,
  'event' | 'time' | 'user_id' | 'name' | 'is_admin' | 'ex_user_id' | 'value'
>;

export interface EventSummary {
  name: string;
  total: number;
  values: { time: number; value: string }[];
}

export interface AnalyticsFile {
  room: {
    room_id: string;
    room_title: string;
    room_total_users: number;
    /**
     * Unix seconds of the session's first event and of its end, and the difference in seconds, as
     * plugNmeet writes them (`room.Created.Unix()`); event value times stay unix ms.
     */
    room_creation: number;
    room_ended: number;
    room_duration: number;
    events: EventSummary[];
  };
  users: {
    user_id: string;
    name: string;
    is_admin: boolean;
    ex_user_id: string;
    events: EventSummary[];
  }[];
}

/** Groups events by name in first-seen order; `joined`/`left` stand for participant_joined/left. */
function summarize(events: StoredEvent[]): EventSummary[] {
  const byName = new Map<string, EventSummary>();
  for (const e of events) {
    const name = e.event === 'participant_joined' ? 'joined' : e.event === 'participant_left' ? 'left' : e.event;
    let summary = byName.get(name);
    if (!summary) byName.set(name, (summary = { name, total: 0, values: [] }));
    if (COUNTER_SET.has(name)) {
      summary.total += SUMMED.has(name) ? Number(e.value ?? 0) || 0 : 1;
    } else {
      summary.total += 1;
      summary.values.push({ time: e.time, value: e.value ?? '' });
    }
  }
  return [...byName.values()];
}

/** Events must be in time order (ties in arrival order). */
export function buildAnalyticsFile(
  session: { room_id: string; room_title: string; started_at: number; ended_at: number },
  events: StoredEvent[],
): AnalyticsFile {
  const roomEvents = events.filter((e) => ROOM_EVENT_SET.has(e.event));
  const perUser = new Map<string, StoredEvent[]>();
  for (const e of events) {
    if (e.user_id === null || ROOM_EVENT_SET.has(e.event) || e.event === 'room_started' || e.event === 'room_finished')
      continue;
    let list = perUser.get(e.user_id);
    if (!list) perUser.set(e.user_id, (list = []));
    list.push(e);
  }
  const users = [...perUser.entries()].map(([userId, list]) => {
    // The latest non-empty name and flags a user had in the session.
    const last = <K extends 'name' | 'ex_user_id' | 'is_admin'>(key: K) =>
      list.reduce<StoredEvent[K]>((found, e) => (e[key] !== null && e[key] !== '' ? e[key] : found), null);
    return {
      user_id: userId,
      name: last('name') ?? '',
      is_admin: last('is_admin') === 1,
      ex_user_id: last('ex_user_id') ?? '',
      events: summarize(list),
    };
  });
  return {
    room: {
      room_id: session.room_id,
      room_title: session.room_title,
      room_total_users: users.filter((u) => u.events.some((e) => e.name === 'joined')).length,
      room_creation: Math.floor(session.started_at / 1000),
      room_ended: Math.floor(session.ended_at / 1000),
      room_duration: Math.floor(session.ended_at / 1000) - Math.floor(session.started_at / 1000),
      events: summarize(roomEvents),
    },
    users,
  };
}
