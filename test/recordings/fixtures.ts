import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hmacSha256Hex } from '../../src/auth/crypto.js';
import { API_KEY, call } from '../helpers/server.js';

/** Signs and posts a plugNmeet call with the test key pair. */
export async function signedPost(baseUrl: string, path: string, body: unknown, key = API_KEY) {
  const raw = JSON.stringify(body);
  return call(baseUrl, 'POST', path, {
    headers: {
      'content-type': 'application/json',
      'api-key': key.key,
      'hash-signature': hmacSha256Hex(key.secret, raw),
    },
    body: raw,
  });
}

/** Writes a fake recording file into an account's recordings directory (account 1: the test key's). */
export function placeFile(dataDir: string, relative: string, bytes: Buffer, accountId = 1): void {
  const full = join(dataDir, 'files', 'recordings', String(accountId), relative);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, bytes);
}

/** Registers `count` recordings in a room, one second apart, with a few sharing a second. */
export async function seedRoom(
  baseUrl: string,
  dataDir: string,
  roomId: string,
  count: number,
  startTime = 1_760_000_000,
) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const recordId = `${roomId}-rec-${String(i).padStart(4, '0')}`;
    const path = `${roomId}/${recordId}.mp4`;
    placeFile(dataDir, path, Buffer.from(`video ${recordId}`));
    // Every fifth recording shares its second with the previous one: ties are ordered by record_id.
    const creation = startTime + i * 60 - (i % 5 === 4 ? 60 : 0);
    const response = await signedPost(baseUrl, '/auth/recording/add', {
      room_id: roomId,
      room_sid: `${roomId}-sid-${Math.floor(i / 10)}`,
      record_id: recordId,
      file_path: path,
      creation_time: creation,
      room_creation_time: startTime - 3600,
      room_title: `Room ${roomId}`,
    });
    if (response.body.status !== true) throw new Error(JSON.stringify(response.body));
    ids.push(recordId);
  }
  return ids;
}

export type Row = { record_id: string; creation_time: number };

/** Recordings in the list's order: creation time, then record id. */
export const order = <R extends Row>(rows: R[], direction: 'ASC' | 'DESC') =>
  [...rows].sort((a, b) => {
    const c = a.creation_time - b.creation_time || (a.record_id < b.record_id ? -1 : a.record_id > b.record_id ? 1 : 0);
    return direction === 'ASC' ? c : -c;
  });
