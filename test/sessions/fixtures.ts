import { signedPost } from '../recordings/fixtures.js';

export const T0 = 1_760_000_000_000;
export const ROOM = { room_id: 'room-weekly', room_sid: 'RM_weekly_1' };
const ann = { user_id: 'u1', name: 'Ann', is_admin: true, ex_user_id: 'ext-1' };
const bob = { user_id: 'u2', name: 'Bob', is_admin: false };

/**
 * The scripted session of issue 4: two users; Bob leaves and re-joins; Ann toggles her mic three
 * times; talk time; five public chat messages; a raised hand; recording started; room_finished.
 */
export function scriptedSession(room = ROOM) {
  const at = (ms: number) => T0 + ms;
  let n = 0;
  const ev = (event: string, ms: number, extra: Record<string, unknown> = {}) => ({
    id: `${room.room_sid}-ev-${++n}`,
    event,
    ...room,
    time: at(ms),
    ...extra,
  });
  return [
    ev('room_started', 0, { room_title: 'Weekly sync' }),
    ev('participant_joined', 1000, ann),
    ev('participant_joined', 2000, bob),
    ev('mic_status', 3000, { ...ann, value: 'on' }),
    ev('public_chat', 5000, ann),
    ev('public_chat', 6000, ann),
    ev('public_chat', 7000, ann),
    ev('recording_status', 8000, { value: 'started' }),
    ev('mic_status', 10_000, { ...ann, value: 'off' }),
    ev('talked_duration', 10_000, { ...ann, value: 4000 }),
    ev('talked_duration', 15_000, { ...bob, value: 1200 }),
    ev('mic_status', 20_000, { ...ann, value: 'on' }),
    ev('talked_duration', 25_000, { ...ann, value: 2500 }),
    ev('participant_left', 30_000, bob),
    ev('participant_joined', 40_000, bob),
    ev('public_chat', 41_000, bob),
    ev('public_chat', 42_000, bob),
    ev('raise_hand', 43_000, { ...bob, value: 'on' }),
    ev('room_finished', 60_000),
  ];
}

/** The analytics file the scripted session must produce, computed by hand. */
export function expectedFile(room = ROOM) {
  const v = (ms: number, value = '') => ({ time: T0 + ms, value });
  return {
    room: {
      room_id: room.room_id,
      room_title: 'Weekly sync',
      room_total_users: 2,
      // Seconds, as plugNmeet writes them; event value times stay ms.
      room_creation: T0 / 1000,
      room_ended: T0 / 1000 + 60,
      room_duration: 60,
      events: [{ name: 'recording_status', total: 1, values: [v(8000, 'started')] }],
    },
    users: [
      {
        user_id: 'u1',
        name: 'Ann',
        is_admin: true,
        ex_user_id: 'ext-1',
        events: [
          { name: 'joined', total: 1, values: [v(1000)] },
          { name: 'mic_status', total: 3, values: [v(3000, 'on'), v(10_000, 'off'), v(20_000, 'on')] },
          { name: 'public_chat', total: 3, values: [] },
          { name: 'talked_duration', total: 6500, values: [] },
        ],
      },
      {
        user_id: 'u2',
        name: 'Bob',
        is_admin: false,
        ex_user_id: '',
        events: [
          { name: 'joined', total: 2, values: [v(2000), v(40_000)] },
          { name: 'talked_duration', total: 1200, values: [] },
          { name: 'left', total: 1, values: [v(30_000)] },
          { name: 'public_chat', total: 2, values: [] },
          { name: 'raise_hand', total: 1, values: [v(43_000, 'on')] },
        ],
      },
    ],
  };
}

export const sendEvents = (url: string, events: unknown[]) => signedPost(url, '/auth/room/events', { events });

export async function downloadAnalytics(url: string, fileId: string): Promise<unknown> {
  const { body } = await signedPost(url, '/auth/analytics/getDownloadToken', { file_id: fileId });
  const response = await fetch(`${url}/download/analytics/${body.token}`);
  return response.json();
}
