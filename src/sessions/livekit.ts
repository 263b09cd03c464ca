import { TrackSource, WebhookReceiver, type WebhookEvent } from 'livekit-server-sdk';
import type { ApiClient } from '../auth/service.js';
import type { RoomEvent } from './schemas.js';

/**
 * LiveKit webhooks: verified with the Recap API key pair named by the token's `iss` (the same pair
 * that signs plugNmeet calls), then mapped onto room events of the session model.
 */

/** The API key a webhook's Authorization JWT names, read without trusting it (verified next). */
export function webhookIssuer(authorization: string | undefined): string | undefined {
  const payload = authorization?.replace(/^Bearer\s+/i, '').split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown };
    return typeof claims.iss === 'string' ? claims.iss : undefined;
  } catch {
    return undefined;
  }
}

/** Verifies the JWT signature and that its `sha256` claim is the body's hash; throws otherwise. */
export async function verifyWebhook(client: ApiClient, body: string, authorization: string): Promise<WebhookEvent> {
  return new WebhookReceiver(client.apiKey, client.apiSecret).receive(body, authorization);
}

const TRACK_EVENTS: Partial<Record<TrackSource, string>> = {
  [TrackSource.MICROPHONE]: 'mic_status',
  [TrackSource.CAMERA]: 'webcam_status',
  [TrackSource.SCREEN_SHARE]: 'screen_share_status',
};

function participantFlags(metadata: string | undefined): { is_admin?: boolean; ex_user_id?: string } {
  // plugNmeet puts {"isAdmin":…, "exUserId":…} in the participant metadata; others may not.
  try {
    const parsed = JSON.parse(metadata || '{}') as { isAdmin?: unknown; exUserId?: unknown; is_admin?: unknown };
    const isAdmin = parsed.isAdmin ?? parsed.is_admin;
    return {
      ...(typeof isAdmin === 'boolean' ? { is_admin: isAdmin } : {}),
      ...(typeof parsed.exUserId === 'string' ? { ex_user_id: parsed.exUserId } : {}),
    };
  } catch {
    return {};
  }
}

export interface EgressFile {
  egressId: string;
  roomId: string;
  roomSid: string;
  filename: string;
  size: number;
  startedAt: number;
}

export interface MappedWebhook {
  events: RoomEvent[];
  /** egress_ended with a file: a recording to register. */
  recording?: EgressFile;
}

/** The room events a LiveKit webhook stands for (none for events Recap does not track). */
export function mapWebhook(event: WebhookEvent): MappedWebhook {
  const time = Number(event.createdAt) * 1000;
  const room = event.room;
  const egress = event.egressInfo;
  const base = {
    id: event.id || undefined,
    room_id: room?.name || egress?.roomName || '',
    room_sid: room?.sid || egress?.roomId || '',
    time,
  };
  if (!base.room_id || !base.room_sid) return { events: [] };
  const participant = event.participant;
  const who = participant
    ? { user_id: participant.identity, name: participant.name, ...participantFlags(participant.metadata) }
    : undefined;
  const one = (e: Omit<RoomEvent, 'room_id' | 'room_sid' | 'time'>): RoomEvent => ({
    ...base,
    ...e,
    ...(e.id === undefined ? { id: base.id } : {}),
  });
  switch (event.event) {
    case 'room_started':
    case 'room_finished':
      return { events: [one({ event: event.event })] };
    case 'participant_joined':
    case 'participant_left':
      return who ? { events: [one({ event: event.event, ...who })] } : { events: [] };
    case 'track_published':
    case 'track_unpublished': {
      const name = event.track ? TRACK_EVENTS[event.track.source] : undefined;
      return name && who
        ? { events: [one({ event: name, ...who, value: event.event === 'track_published' ? 'on' : 'off' })] }
        : { events: [] };
    }
    case 'egress_started':
      return { events: [one({ event: 'recording_status', value: 'started' })] };
    case 'egress_ended': {
      const file = egress?.fileResults[0];
      const mapped: MappedWebhook = { events: [one({ event: 'recording_status', value: 'ended' })] };
      if (egress && file?.filename) {
        mapped.recording = {
          egressId: egress.egressId,
          roomId: base.room_id,
          roomSid: base.room_sid,
          filename: file.filename,
          size: Number(file.size),
          startedAt: Math.floor(Number(file.startedAt) / 1e9),
        };
      }
      return mapped;
    }
    default:
      return { events: [] };
  }
}
