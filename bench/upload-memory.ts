// npm run bench:upload -- [--mib 1024]
// Streams one large recording through PUT /upload/recording/:token and samples the server's RSS
// (from /proc) every 20 ms: the upload must never be buffered in memory (issue 3: < 64 MiB increase).
import { readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { hmacSha256Hex } from '../src/auth/crypto.js';
import { startServer } from './lib/server.js';

const { values: args } = parseArgs({ options: { mib: { type: 'string', default: '1024' } } });
const MIB = 1024 * 1024;
const size = Number(args.mib) * MIB;
const API = { key: 'upload-bench-key', secret: 'upload-bench-secret-0123456789' };

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.replace(/\D+/g, '') ?? 0) * 1024;
}

async function signedPost(
  baseUrl: string,
  path: string,
  body: unknown,
): Promise<{ token?: string; status: boolean; msg?: string }> {
  const raw = JSON.stringify(body);
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    body: raw,
    headers: {
      'content-type': 'application/json',
      'api-key': API.key,
      'hash-signature': hmacSha256Hex(API.secret, raw),
    },
  });
  return (await response.json()) as { token?: string; status: boolean };
}

/** `size` bytes in 1 MiB chunks, generated as they are read (the client holds one chunk). */
function payload(): Readable {
  const chunk = Buffer.alloc(MIB, 0x5a);
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const n = Math.min(MIB, size - sent);
      sent += n;
      this.push(n === MIB ? chunk : chunk.subarray(0, n));
    },
  });
}

const dataDir = resolve('bench/.data/upload-memory');
rmSync(dataDir, { recursive: true, force: true });
const { child, baseUrl } = await startServer(`sqlite:${dataDir}/recap.db`, dataDir, {
  RECAP_API_KEY: API.key,
  RECAP_API_SECRET: API.secret,
  RECAP_MAX_UPLOAD_BYTES: String(size + MIB),
});
try {
  const pid = child.pid!;
  // The server's resting size after it has served a few requests.
  for (let i = 0; i < 20; i++) await fetch(`${baseUrl}/healthz`);
  const { token } = await signedPost(baseUrl, '/auth/recording/getUploadToken', {
    room_id: 'bench',
    room_sid: 'bench-s1',
    record_id: 'upload-1',
    file_name: 'big.webm',
  });
  const before = rssBytes(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 20);
  const started = performance.now();
  const answer = await new Promise<string>((done, fail) => {
    const req = request(
      `${baseUrl}/upload/recording/${token}`,
      { method: 'PUT', headers: { 'content-type': 'video/webm', 'content-length': String(size) } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => done(body));
      },
    );
    req.on('error', fail);
    pipeline(payload(), req).catch(fail);
  });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, rssBytes(pid));
  const result = JSON.parse(answer) as { status: boolean; recording_info?: { file_size: number } };
  if (!result.status || result.recording_info?.file_size !== size) throw new Error(`upload failed: ${answer}`);
  const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;
  process.stdout.write(
    `upload of ${mib(size)} in ${seconds.toFixed(1)} s (${mib(size / seconds)}/s): server RSS ${mib(before)} before, peak ${mib(peak)}, increase ${mib(peak - before)}\n`,
  );
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}
