import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { findApiClient } from '../auth/service.js';
import { AppError } from '../http/errors.js';
import { registerRecording } from '../recordings/service.js';
import { isSafeRelativePath } from '../storage/files.js';
import { mapWebhook, verifyWebhook, webhookIssuer } from './livekit.js';
import { receiveRoomEvents, type IngestResult } from './service.js';

/**
 * `POST /webhooks/livekit`: verifies the webhook with the API key pair its JWT names, stores the
 * room events it maps to (writing the files of the sessions they end), and registers an egress
 * file as a recording of that key's account.
 */
export async function receiveLiveKitWebhook(
  app: Pick<FastifyInstance, 'db' | 'storage' | 'config'>,
  authorization: string | undefined,
  body: string,
  log: FastifyBaseLogger,
): Promise<IngestResult> {
  const issuer = webhookIssuer(authorization);
  const client = issuer ? await findApiClient(app.db, issuer) : undefined;
  if (!client || !authorization) throw new AppError('unauthorized', 'invalid webhook signature');
  const event = await verifyWebhook(client, body, authorization).catch(() => {
    throw new AppError('unauthorized', 'invalid webhook signature or body hash');
  });
  const mapped = mapWebhook(event);
  const result =
    mapped.events.length > 0
      ? await receiveRoomEvents(app.db, app.storage, app.config.sessionIdleTimeoutMs, client.accountId, mapped.events)
      : { stored: 0, duplicates: 0, late: 0, ended: 0 };
  if (mapped.recording) {
    // Egress file names are relative to the account's recordings directory.
    const path = mapped.recording.filename.replace(/^\/+/, '');
    if (isSafeRelativePath(path)) {
      await registerRecording(app.db, client.accountId, {
        record_id: mapped.recording.egressId,
        room_id: mapped.recording.roomId,
        room_sid: mapped.recording.roomSid,
        file_path: path,
        file_size: mapped.recording.size,
        ...(mapped.recording.startedAt > 0 ? { creation_time: mapped.recording.startedAt } : {}),
      });
    } else {
      log.warn(
        { filename: mapped.recording.filename },
        'egress file is outside the recordings directory: not registered',
      );
    }
  }
  return result;
}
