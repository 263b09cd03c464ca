import type { Dataset } from './types.js';
import { scaled } from './types.js';
import { HOT_ROOMS, hotRoom, typicalRoom } from './recordings.js';

const DAY = 86_400;

/**
 * Analytics files (Recap's own choice; contract §6 names none): one per meeting, 200,000 over the
 * recordings' 10,000 rooms, the 10 hot rooms with ~2,000 each, over the year before `now`.
 */
export const analytics: Dataset = {
  name: 'analytics',
  loads: ({ scale, random, now }) => {
    const count = scaled(200_000, scale, 200);
    const typicalRooms = scaled(10_000, scale, 20) - HOT_ROOMS;
    const end = Math.floor(now / 1000);
    const totals = new Map<string, { total: number; size: number }>();
    return [
      {
        table: 'analytics_files',
        columns: [
          'id',
          'account_id',
          'file_id',
          'room_id',
          'room_sid',
          'file_name',
          'file_path',
          'file_size',
          'creation_time',
          'room_creation_time',
          'created_at',
        ],
        count,
        *rows() {
          for (let i = 0; i < count; i++) {
            const room = i % 10 < 1 ? hotRoom(i % HOT_ROOMS) : typicalRoom(random.int(0, typicalRooms - 1));
            const created = end - random.int(0, 365 * DAY);
            const sid = `RM_${random.hex(12)}`;
            const size = random.int(2_000, 200_000);
            const t = totals.get(room) ?? { total: 0, size: 0 };
            totals.set(room, { total: t.total + 1, size: t.size + size });
            yield [
              i + 1,
              1,
              sid,
              room,
              sid,
              `${sid}.json`,
              `${room}/${sid}.json`,
              size,
              created,
              created - random.int(600, 7200),
              created * 1000,
            ];
          }
        },
      },
      {
        table: 'analytics_room_totals',
        columns: ['account_id', 'room_id', 'total', 'total_size'],
        get count() {
          return totals.size;
        },
        *rows() {
          for (const room of [...totals.keys()].sort())
            yield [1, room, totals.get(room)!.total, totals.get(room)!.size];
        },
      },
    ];
  },
};
