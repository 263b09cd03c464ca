import type { Dataset } from './types.js';
import { scaled } from './types.js';
import { DAYS_PER_SPAN } from '../../src/recordings/repository.js';

export const HOT_ROOMS = 10;
export const hotRoom = (i: number) => `hot-room-${String(i + 1).padStart(2, '0')}`;
export const typicalRoom = (i: number) => `room-${String(i + 1).padStart(5, '0')}`;
const DAY = 86_400;

/**
 * Contract §6: 1,000,000 recordings over 10,000 rooms, 10 hot rooms with ~10,000 each, created
 * over the year before `now`, all in account 1 (the bench API key's). The per-room and per-day
 * counters are derived from the generated rows, as the service maintains them.
 */
export const recordings: Dataset = {
  name: 'recordings',
  loads: ({ scale, random, now }) => {
    const count = scaled(1_000_000, scale, 1000);
    const typicalRooms = scaled(10_000, scale, 20) - HOT_ROOMS;
    const end = Math.floor(now / 1000);
    const totals = new Map<string, number>();
    const sizes = new Map<string, number>();
    const days = new Map<string, number>();
    let spanTotals: Map<string, number> | undefined;
    // Derived from the day counters once they are complete (after the recordings are generated).
    const spans = () => {
      if (spanTotals) return spanTotals;
      spanTotals = new Map();
      for (const [key, total] of days) {
        const [room, day] = key.split('\u0000');
        const spanKey = `${room}\u0000${Math.floor(Number(day) / DAYS_PER_SPAN)}`;
        spanTotals.set(spanKey, (spanTotals.get(spanKey) ?? 0) + total);
      }
      return spanTotals;
    };
    const titles = [
      'Weekly sync',
      'Customer demo',
      'All hands',
      'Design review',
      'Lecture',
      'Onboarding',
      'Retrospective',
    ];
    return [
      {
        table: 'recordings',
        columns: [
          'id',
          'account_id',
          'record_id',
          'room_id',
          'room_sid',
          'room_title',
          'file_path',
          'file_size',
          'creation_time',
          'room_creation_time',
          'metadata',
          'created_at',
        ],
        count,
        *rows() {
          for (let i = 0; i < count; i++) {
            const room = i % 100 < HOT_ROOMS ? hotRoom(i % HOT_ROOMS) : typicalRoom(random.int(0, typicalRooms - 1));
            const creation = end - random.int(0, 365 * DAY);
            const sid = `${room}-s${Math.floor(creation / DAY)}`;
            const recordId = `${sid}-${random.hex(8)}`;
            totals.set(room, (totals.get(room) ?? 0) + 1);
            const fileSize = random.int(5_000_000, 2_000_000_000);
            sizes.set(room, (sizes.get(room) ?? 0) + fileSize);
            const dayKey = `${room}\u0000${Math.floor(creation / DAY)}`;
            days.set(dayKey, (days.get(dayKey) ?? 0) + 1);
            const title = random.pick(titles);
            yield [
              i + 1,
              1,
              recordId,
              room,
              sid,
              title,
              `${room}/${recordId}.mp4`,
              fileSize,
              creation,
              creation - random.int(60, 7200),
              `{"title":"${title}","description":"","subtitles":{},"extra_data":{"source":"bench"}}`,
              creation * 1000,
            ];
          }
        },
      },
      {
        table: 'recording_room_totals',
        columns: ['account_id', 'room_id', 'total', 'total_size'],
        get count() {
          return totals.size;
        },
        *rows() {
          for (const room of [...totals.keys()].sort()) yield [1, room, totals.get(room)!, sizes.get(room)!];
        },
      },
      {
        table: 'recording_room_days',
        columns: ['account_id', 'room_id', 'day', 'total'],
        get count() {
          return days.size;
        },
        *rows() {
          // In primary-key order: SQLite keeps the counters in WITHOUT ROWID b-trees.
          for (const key of [...days.keys()].sort()) {
            const [room, day] = key.split('\u0000');
            yield [1, room!, Number(day), days.get(key)!];
          }
        },
      },
      {
        table: 'recording_room_spans',
        columns: ['account_id', 'room_id', 'span', 'total'],
        get count() {
          return spans().size;
        },
        *rows() {
          for (const key of [...spans().keys()].sort()) {
            const [room, span] = key.split('\u0000');
            yield [1, room!, Number(span), spans().get(key)!];
          }
        },
      },
    ];
  },
};
