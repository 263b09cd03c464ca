import type { Dataset } from './types.js';
import { scaled } from './types.js';
import { UNKEPT_CHAT_FIGURES } from '../../src/statistics/snapshot.js';

export const SNAPSHOT_SPACING_MS = 45 * 60_000;

/**
 * Contract §6: 10,000 statistics snapshots, one every 45 minutes up to `now` (312 days, inside the
 * default 365-day retention), each a full document like the builder's (about 2 KB of JSON).
 */
export const statistics: Dataset = {
  name: 'statistics',
  loads: ({ scale, random, now }) => {
    const count = scaled(10_000, scale, 100);
    const cpus = Array.from({ length: 8 }, () => ({ model: 'AMD EPYC 7571', speed: 2199 }));
    return [
      {
        table: 'statistics_snapshots',
        columns: ['id', 'created_at', 'document'],
        count,
        *rows() {
          for (let i = 0; i < count; i++) {
            const at = now - (count - 1 - i) * SNAPSHOT_SPACING_MS;
            const iso = new Date(at).toISOString();
            const id =
              Math.floor(at / 1000)
                .toString(16)
                .padStart(8, '0') + random.hex(16);
            const users = 9_000 + Math.floor(i / 10);
            const document = {
              _id: id,
              uniqueId: 'b7fcac05-3128-40c3-b8aa-dcdb0875082f',
              installedAt: '2025-11-01T00:00:00.000Z',
              version: '0.1.0',
              totalUsers: users,
              activeUsers: users - random.int(0, 50),
              nonActiveUsers: random.int(0, 50),
              onlineUsers: random.int(0, 400),
              awayUsers: 0,
              offlineUsers: users - 400,
              totalAccounts: 20,
              lastLogin: new Date(at - random.int(0, 3_600_000)).toISOString(),
              totalRooms: 10_000,
              ...UNKEPT_CHAT_FIGURES,
              totalRecordings: 900_000 + i * 10,
              totalRecordingsSize: (900_000 + i * 10) * 1_000_000_000,
              totalRecordingRooms: 10_000,
              instanceCount: 1 + (i % 3),
              os: {
                type: 'Linux',
                platform: 'linux',
                arch: 'x64',
                release: '6.1.0-27-amd64',
                uptime: 100_000 + i * 2700,
                loadavg: [random.int(0, 400) / 100, 1.2, 0.9],
                totalmem: 25_769_803_776,
                freemem: random.int(1, 20) * 1_073_741_824,
                cpus,
              },
              process: { nodeVersion: 'v20.20.2', pid: 4242, uptime: (i % 500) * 2700 },
              deploy: { method: 'node', platform: 'selfinstall' },
              migration: { version: 4, locked: false },
              createdAt: iso,
              _updatedAt: iso,
            };
            yield [id, at, JSON.stringify(document)];
          }
        },
      },
    ];
  },
};
