import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import type { Kysely } from 'kysely';
import { instanceIdentity } from '../auth/instance.js';
import { userStatistics } from '../auth/service.js';
import { VERSION } from '../config/version.js';
import type { Database } from '../db/schema.js';
import { recordingStatistics } from '../recordings/service.js';
import { analyticsStatistics } from '../sessions/service.js';
import { reportStatistics } from '../reports/service.js';
import * as repo from './repository.js';

/** An instance counts as running while its heartbeat is younger than this. */
export const INSTANCE_STALE_MS = 3 * 60_000;

/** 24 hex characters like a MongoDB ObjectId: 4 bytes of seconds, 8 random bytes. */
export function snapshotId(nowMs: number): string {
  return (
    Math.floor(nowMs / 1000)
      .toString(16)
      .padStart(8, '0') + randomBytes(8).toString('hex')
  );
}

/**
 * Rocket.Chat chat figures for channels, groups, direct rooms and messages: concepts Recap does
 * not keep, so they stay 0 (see docs/statistics.md). In the order Rocket.Chat sends them.
 */
export const UNKEPT_CHAT_FIGURES = {
  totalChannels: 0,
  totalPrivateGroups: 0,
  totalDirect: 0,
  totalLivechat: 0,
  totalMessages: 0,
  totalChannelMessages: 0,
  totalPrivateGroupMessages: 0,
  totalDirectMessages: 0,
  totalLivechatMessages: 0,
  lastMessageSentAt: null,
  lastSeenSubscription: '',
} as const;

/**
 * The snapshot document (contract §4; each field is described in docs/statistics.md). Every figure
 * comes from a counter or a small table: nothing here scans recordings.
 */
export async function buildSnapshot(db: Kysely<Database>, nowMs: number): Promise<Record<string, unknown>> {
  const [identity, users, recordings, analytics, reports, instanceCount, migration] = await Promise.all([
    instanceIdentity(db),
    userStatistics(db, nowMs),
    recordingStatistics(db),
    analyticsStatistics(db),
    reportStatistics(db),
    repo.liveInstances(db, nowMs - INSTANCE_STALE_MS),
    repo.migrationState(db),
  ]);
  const at = new Date(nowMs).toISOString();
  return {
    uniqueId: identity.uniqueId,
    installedAt: identity.installedAt,
    version: VERSION,
    ...users,
    // Rooms: the rooms that hold recordings.
    totalRooms: recordings.totalRecordingRooms,
    ...UNKEPT_CHAT_FIGURES,
    ...recordings,
    ...analytics,
    ...reports,
    instanceCount: Math.max(instanceCount, 1),
    os: {
      type: os.type(),
      platform: process.platform,
      arch: process.arch,
      release: os.release(),
      uptime: os.uptime(),
      loadavg: os.loadavg(),
      totalmem: os.totalmem(),
      freemem: os.freemem(),
      cpus: os.cpus().map((cpu) => ({ model: cpu.model, speed: cpu.speed })),
    },
    process: { nodeVersion: process.version, pid: process.pid, uptime: process.uptime() },
    deploy: { method: existsSync('/.dockerenv') ? 'docker' : 'node', platform: 'selfinstall' },
    migration,
    createdAt: at,
    _updatedAt: at,
  };
}
