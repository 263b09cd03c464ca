import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { putSubtitle } from '../recordings/library.js';
import { addRecording } from '../recordings/service.js';
import { receiveRoomEvents } from '../sessions/service.js';
import type { RoomEvent } from '../sessions/schemas.js';
import { accountPath, type FileStorage } from '../storage/files.js';
import type { Rand } from '../shared/random.js';

/**
 * Meetings for one account: each session's events go through the real ingestion (so its analytics
 * file is written by Recap), and each session gets a recording backed by the short, playable video
 * committed in demo/ with English and German subtitles stored by Recap.
 */

export const MEDIA = fileURLToPath(new URL('../../demo/', import.meta.url));
const ROOMS = [
  ['weekly-sync', 'Weekly sync'],
  ['safety-briefing', 'Safety briefing'],
  ['customer-review', 'Customer review'],
  ['all-hands', 'All hands'],
] as const;
const NAMES = ['Ann', 'Bob', 'Chen', 'Dana', 'Emeka', 'Farah', 'Goran', 'Hana', 'Ivo', 'Jun'];
const MINUTE = 60_000;

/** One meeting's events, in time order: joins, talk, chat, hands, leaves and re-joins, recording. */
function meetingEvents(
  rand: Rand,
  room: { room_id: string; room_sid: string; room_title: string },
  start: number,
): RoomEvent[] {
  const length = (20 + rand.int(40)) * MINUTE;
  const people = NAMES.slice(0, 3 + rand.int(6)).map((name, i) => ({ user_id: `u${i + 1}`, name, is_admin: i === 0 }));
  const events: RoomEvent[] = [{ event: 'room_started', ...room, time: start }];
  const at = (offset: number) => start + Math.min(offset, length - 1000);
  for (const p of people) {
    const joined = rand.int(5 * MINUTE);
    events.push({ event: 'participant_joined', ...room, ...p, time: at(joined) });
    if (rand.chance(0.3)) {
      const left = joined + rand.int(length / 2);
      events.push({ event: 'participant_left', ...room, ...p, time: at(left) });
      events.push({ event: 'participant_joined', ...room, ...p, time: at(left + 2 * MINUTE + rand.int(5 * MINUTE)) });
    }
    for (let i = rand.int(6); i > 0; i--)
      events.push({
        event: 'talked_duration',
        ...room,
        ...p,
        value: 5000 + rand.int(120_000),
        time: at(rand.int(length)),
      });
    for (let i = rand.int(5); i > 0; i--)
      events.push({ event: 'public_chat', ...room, ...p, time: at(rand.int(length)) });
    if (rand.chance(0.3)) events.push({ event: 'raise_hand', ...room, ...p, value: 'on', time: at(rand.int(length)) });
    events.push({ event: 'mic_status', ...room, ...p, value: 'on', time: at(joined + 1000) });
  }
  events.push({ event: 'recording_status', ...room, value: 'started', time: at(2 * MINUTE) });
  events.push({ event: 'recording_status', ...room, value: 'ended', time: at(length - 2 * MINUTE) });
  events.push({ event: 'room_finished', ...room, time: start + length });
  return events.sort((a, b) => a.time - b.time).map((e, i) => ({ ...e, id: `${room.room_sid}-${i}` }));
}

export async function seedMeetings(
  db: Kysely<Database>,
  storage: FileStorage,
  rand: Rand,
  accountId: number,
  options: { sessionsPerRoom: number; now: number; progress: (done: number) => void },
): Promise<{ sessions: number; recordings: number }> {
  const video = readFileSync(`${MEDIA}meeting.webm`);
  const subtitles = {
    en: ['English', readFileSync(`${MEDIA}meeting.en.vtt`)],
    de: ['Deutsch', readFileSync(`${MEDIA}meeting.de.vtt`)],
  } as const;
  const total = ROOMS.length * options.sessionsPerRoom;
  let done = 0;
  for (const [roomId, title] of ROOMS) {
    for (let n = 0; n < options.sessionsPerRoom; n++) {
      // Weekly meetings going back from last week, at a working hour.
      const day = options.now - (7 * (n + 1) - rand.int(3)) * 86_400_000;
      const start = Math.floor(day / 86_400_000) * 86_400_000 + (8 + rand.int(8)) * 3_600_000;
      const room = { room_id: roomId, room_sid: `RM_${roomId}_${accountId}_${n + 1}`, room_title: title };
      await receiveRoomEvents(db, storage, 6 * 3_600_000, accountId, meetingEvents(rand, room, start));
      const filePath = `${roomId}/${room.room_sid}.webm`;
      await storage.writeBuffer(accountPath('recordings', accountId, filePath), video, { replace: true });
      const recordId = `${room.room_sid}-rec`;
      await addRecording(db, storage, accountId, {
        room_id: roomId,
        room_sid: room.room_sid,
        record_id: recordId,
        file_path: filePath,
        room_title: title,
        creation_time: Math.floor(start / 1000) + 120,
        room_creation_time: Math.floor(start / 1000),
        metadata: {
          title: `${title}, ${new Date(start).toISOString().slice(0, 10)}`,
          description: 'Recorded by the demo.',
          extra_data: { source: 'recap demo' },
        },
      });
      for (const [lang, [label, body]] of Object.entries(subtitles))
        await putSubtitle(db, storage, accountId, recordId, { lang, label, body });
      options.progress(++done / total);
    }
  }
  return { sessions: total, recordings: total };
}
