import type { TestContext } from 'node:test';
import { buildApp, type BuildOptions } from '../../src/app.js';
import type { BootstrapResult } from '../../src/auth/service.js';
import { loadConfig, type Config, type RawConfig } from '../../src/config/index.js';
import type { Engine } from '../../src/db/connection.js';
import { prepareDatabase, startServer, type RunningServer } from '../../src/main.js';
import { scratchDatabase, type ScratchDatabase } from './engines.js';
import type { FastifyInstance } from 'fastify';

export const ADMIN = { username: 'admin', password: 'admin-password-1' };
export const API_KEY = { key: 'plugnmeet', secret: 'zumyyYWqv7KR2kUqvYdq4z4sXg7XTBD2ljT6' };

export type Settings = Partial<Record<keyof RawConfig, string>>;

export function testConfig(databaseUrl: string, dataDir: string, settings: Settings = {}): Config {
  return loadConfig({
    RECAP_DATABASE_URL: databaseUrl,
    RECAP_DATA_DIR: dataDir,
    RECAP_PORT: '0',
    RECAP_LOG_LEVEL: 'silent',
    RECAP_ADMIN_USER: ADMIN.username,
    RECAP_ADMIN_PASSWORD: ADMIN.password,
    RECAP_API_KEY: API_KEY.key,
    RECAP_API_SECRET: API_KEY.secret,
    ...settings,
  });
}

export interface TestServer extends RunningServer {
  config: Config;
  firstStart: BootstrapResult | undefined;
}

/** A real server on an ephemeral port over a fresh database; closed and dropped after the test. */
export async function startTestServer(t: TestContext, engine: Engine, settings: Settings = {}): Promise<TestServer> {
  const scratch = await scratchDatabase(engine);
  const config = testConfig(scratch.url, scratch.dataDir, settings);
  const server = await startServer(config, { logger: false });
  t.after(async () => {
    await server.close();
    await scratch.drop();
  });
  return { ...server, config };
}

/**
 * Like startTestServer, but lets the test add routes before listening (to exercise shared hooks
 * through a real socket).
 */
export async function startCustomServer(
  t: TestContext,
  engine: Engine,
  extend: (app: FastifyInstance) => Promise<void>,
  existing?: ScratchDatabase,
  options: Pick<BuildOptions, 'answerBeforeConfirmation'> = {},
): Promise<{ url: string; app: FastifyInstance; config: Config }> {
  const scratch = existing ?? (await scratchDatabase(engine));
  const config = testConfig(scratch.url, scratch.dataDir);
  const { database } = await prepareDatabase(config);
  const app = await buildApp({ config, database, logger: false, ...options });
  await extend(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.after(async () => {
    await app.close();
    await database.close();
    await scratch.drop();
  });
  const address = app.server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, app, config };
}

export interface Session {
  userId: string;
  authToken: string;
}

export async function loginAs(baseUrl: string, user: string, password: string): Promise<Session> {
  const response = await fetch(`${baseUrl}/api/v1/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, password }),
  });
  if (response.status !== 200) throw new Error(`login as ${user} failed: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { data: Session };
  return { userId: body.data.userId, authToken: body.data.authToken };
}

export const bearer = (session: Session) => ({ authorization: `Bearer ${session.authToken}` });
export const rcHeaders = (session: Session) => ({ 'x-user-id': session.userId, 'x-auth-token': session.authToken });

/** JSON request helper: returns status, parsed body and headers. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
    ...(options.body !== undefined
      ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }
      : {}),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, headers: response.headers };
}
