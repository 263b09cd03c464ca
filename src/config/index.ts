import { envSchema } from 'env-schema';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../shared/schema.js';
import { parseAllowedHosts, type AllowedHosts } from '../webhooks/target-guard.js';

/** Seconds as a plain number, or with a unit suffix: `30s`, `10m`, `6h`, `1d`. */
const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(s|m|h|d)?$';
const Duration = (defaultValue: string, description: string) =>
  Type.String({ pattern: DURATION_PATTERN, default: defaultValue, description });
/** Days a kind of data is kept by default (an account may set its own); 0 keeps it forever. */
const RetentionDays = (what: string) =>
  Type.Integer({
    default: 0,
    minimum: 0,
    maximum: 36500,
    description: `Default days ${what} are kept before the janitor deletes them (0: forever; accounts may set their own).`,
  });

/**
 * Every setting Recap reads, as environment variables. The same schema validates, fills defaults,
 * and documents (README config table is checked against it in test/config.test.ts).
 */
export const ConfigSchema = Type.Object({
  RECAP_DATABASE_URL: Type.String({
    default: 'sqlite:./data/recap.db',
    pattern: '^(sqlite:.+|postgres(ql)?://.+)$',
    description: '`sqlite:<path>` (embedded) or `postgres://user@host:port/db`.',
  }),
  RECAP_DATA_DIR: Type.String({ default: './data', minLength: 1, description: 'Directory for stored files.' }),
  RECAP_HOST: Type.String({ default: '127.0.0.1', minLength: 1, description: 'Address to listen on.' }),
  RECAP_PORT: Type.Integer({ default: 8080, minimum: 0, maximum: 65535, description: 'Port to listen on.' }),
  RECAP_LOG_LEVEL: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
    description: 'pino log level.',
  }),
  RECAP_BODY_LIMIT: Type.Integer({ default: 1048576, minimum: 1024, description: 'Largest JSON body in bytes.' }),
  RECAP_DB_POOL_SIZE: Type.Integer({
    default: 10,
    minimum: 1,
    maximum: 200,
    description: 'PostgreSQL connections per instance.',
  }),
  RECAP_TRUST_PROXY: Type.Boolean({
    default: false,
    description: 'Trust `X-Forwarded-*` headers from a reverse proxy.',
  }),
  RECAP_ADMIN_USER: Type.Optional(
    Type.String({ minLength: 1, description: 'Admin username created on first start (default `admin`).' }),
  ),
  RECAP_ADMIN_PASSWORD: Type.Optional(
    Type.String({
      minLength: 8,
      description: 'Admin password set on first start (default: generated and printed once).',
    }),
  ),
  RECAP_API_KEY: Type.Optional(
    Type.String({
      minLength: 3,
      pattern: '^[A-Za-z0-9_.-]+$',
      description: 'API key created on first start (default: generated).',
    }),
  ),
  RECAP_API_SECRET: Type.Optional(
    Type.String({
      minLength: 16,
      description: 'API secret created on first start (default: generated and printed once).',
    }),
  ),
  RECAP_LOGIN_TOKEN_TTL: Duration('90d', 'Validity of user tokens from login.'),
  RECAP_TOKEN_TTL: Duration('30m', 'Validity of download and upload tokens.'),
  RECAP_CONSOLE_SESSION_TTL: Duration('12h', 'Validity of a console sign-in (its session cookie).'),
  RECAP_STATS_INTERVAL: Duration('24h', 'Interval between statistics snapshots.'),
  RECAP_STATS_RETENTION_DAYS: Type.Integer({
    default: 365,
    minimum: 1,
    description: 'Days statistics snapshots are kept.',
  }),
  RECAP_STATS_UNSAFE_PARAMS: Type.Boolean({
    default: true,
    description: 'Allow `query` and `fields` on statistics.list (allow-listed operators only).',
  }),
  RECAP_SESSION_IDLE_TIMEOUT: Duration('6h', 'A room session with no event for this long is closed.'),
  RECAP_MAX_UPLOAD_BYTES: Type.Integer({
    default: 10 * 1024 ** 3,
    minimum: 1,
    description: 'Largest recording upload in bytes.',
  }),
  RECAP_MAX_IMAGE_BYTES: Type.Integer({
    default: 20 * 1024 ** 2,
    minimum: 1024,
    description: 'Largest report image upload in bytes.',
  }),
  RECAP_IMAGE_URL_TTL: Duration(
    '1h',
    'Minimum validity of signed report image URLs (rounded up to the next whole hour, so URLs repeat and browsers cache them).',
  ),
  RECAP_PUBLIC_URL: Type.Optional(
    Type.String({
      pattern: '^https?://[^/?#]+(/[^?#]*)?$',
      description:
        'Base URL clients reach Recap at, for absolute image URLs (default: from the request’s Host and protocol).',
    }),
  ),
  RECAP_READ_CACHE_MB: Type.Number({
    default: 64,
    minimum: 0,
    maximum: 65536,
    description:
      'Memory for answers kept until what they read is written (0 turns the cache off). See README, Read cache.',
  }),
  RECAP_HEADERS_TIMEOUT: Duration(
    '20s',
    'A request whose headers have not all arrived after this long is answered 408 and closed.',
  ),
  RECAP_IDLE_TIMEOUT: Duration(
    '60s',
    'A connection on which no byte moves for this long is closed (a stalled body or download); uploads run as long as bytes flow.',
  ),
  RECAP_KEEP_ALIVE_TIMEOUT: Duration('10s', 'An idle keep-alive connection is closed after this long.'),
  RECAP_TRASH_DAYS: Type.Integer({
    default: 7,
    minimum: 0,
    maximum: 3650,
    description:
      'Days a deleted recording or analytics file waits in the trash before it is purged (0: deleted at once).',
  }),
  RECAP_RETENTION_ROOM_EVENTS_DAYS: RetentionDays('raw room events (of closed sessions, by their last event)'),
  RECAP_RETENTION_ANALYTICS_DAYS: RetentionDays('analytics files (by creation time)'),
  RECAP_RETENTION_RECORDINGS_DAYS: RetentionDays('recordings (by creation time)'),
  RECAP_RETENTION_REPORTS_DAYS: RetentionDays('reports, with their reads, alerts and images (by report time)'),
  RECAP_JANITOR_INTERVAL: Duration(
    '10m',
    'How often the janitor applies retention and purges the trash and old statistics snapshots (also at start).',
  ),
  RECAP_WEBHOOK_ALLOWED_HOSTS: Type.String({
    default: '',
    description:
      'Comma-separated host names, addresses or CIDR ranges webhooks may reach although they are loopback, private or link-local (on-premises receivers). Others are refused.',
  }),
  RECAP_WEBHOOK_TIMEOUT: Duration('10s', 'A webhook delivery that has no answer after this long fails and is retried.'),
  RECAP_WEBHOOK_RETRY_DELAY: Duration(
    '10s',
    'Delay before a failed webhook delivery’s first retry; it doubles with each failure, up to 1 h, for 24 h.',
  ),
  RECAP_BENCH_ROUTES: Type.Boolean({
    default: false,
    description: 'Expose `/bench/static`, the HTTP-ceiling route used by `npm run bench`.',
  }),
});

export type RawConfig = Static<typeof ConfigSchema>;

export type Config = ReturnType<typeof toConfig>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses a duration (`90`, `30s`, `10m`, `6h`, `1d`) into milliseconds. */
export function parseDuration(value: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(s|m|h|d)?$/.exec(value.trim());
  if (!match) throw new ConfigError(`invalid duration "${value}" (use seconds or 30s, 10m, 6h, 1d)`);
  return Math.round(Number(match[1]) * (UNIT_SECONDS[match[2] ?? 's'] ?? 1) * 1000);
}

function allowedHosts(setting: string): AllowedHosts {
  try {
    return parseAllowedHosts(setting);
  } catch (error) {
    throw new ConfigError(`RECAP_WEBHOOK_ALLOWED_HOSTS: ${(error as Error).message}`);
  }
}

function toConfig(raw: RawConfig) {
  const url = raw.RECAP_DATABASE_URL;
  return {
    databaseUrl: url,
    dataDir: raw.RECAP_DATA_DIR,
    /** Stored files: recordings/, analytics/ and report-images/, each with a directory per account. */
    storageRoot: join(raw.RECAP_DATA_DIR, 'files'),
    host: raw.RECAP_HOST,
    port: raw.RECAP_PORT,
    logLevel: raw.RECAP_LOG_LEVEL,
    bodyLimit: raw.RECAP_BODY_LIMIT,
    dbPoolSize: raw.RECAP_DB_POOL_SIZE,
    trustProxy: raw.RECAP_TRUST_PROXY,
    admin: { username: raw.RECAP_ADMIN_USER, password: raw.RECAP_ADMIN_PASSWORD },
    apiKey: { key: raw.RECAP_API_KEY, secret: raw.RECAP_API_SECRET },
    loginTokenTtlMs: parseDuration(raw.RECAP_LOGIN_TOKEN_TTL),
    tokenTtlMs: parseDuration(raw.RECAP_TOKEN_TTL),
    consoleSessionTtlMs: parseDuration(raw.RECAP_CONSOLE_SESSION_TTL),
    statsIntervalMs: parseDuration(raw.RECAP_STATS_INTERVAL),
    statsRetentionDays: raw.RECAP_STATS_RETENTION_DAYS,
    statsUnsafeParams: raw.RECAP_STATS_UNSAFE_PARAMS,
    sessionIdleTimeoutMs: parseDuration(raw.RECAP_SESSION_IDLE_TIMEOUT),
    maxUploadBytes: raw.RECAP_MAX_UPLOAD_BYTES,
    maxImageBytes: raw.RECAP_MAX_IMAGE_BYTES,
    imageUrlTtlMs: parseDuration(raw.RECAP_IMAGE_URL_TTL),
    publicUrl: raw.RECAP_PUBLIC_URL?.replace(/\/+$/, ''),
    readCacheBytes: Math.round(raw.RECAP_READ_CACHE_MB * 1024 * 1024),
    connections: {
      headersTimeoutMs: parseDuration(raw.RECAP_HEADERS_TIMEOUT),
      idleTimeoutMs: parseDuration(raw.RECAP_IDLE_TIMEOUT),
      keepAliveTimeoutMs: parseDuration(raw.RECAP_KEEP_ALIVE_TIMEOUT),
    },
    trashDays: raw.RECAP_TRASH_DAYS,
    retentionDays: {
      room_events: raw.RECAP_RETENTION_ROOM_EVENTS_DAYS,
      analytics_files: raw.RECAP_RETENTION_ANALYTICS_DAYS,
      recordings: raw.RECAP_RETENTION_RECORDINGS_DAYS,
      reports: raw.RECAP_RETENTION_REPORTS_DAYS,
    },
    janitorIntervalMs: parseDuration(raw.RECAP_JANITOR_INTERVAL),
    webhooks: {
      allowedHosts: allowedHosts(raw.RECAP_WEBHOOK_ALLOWED_HOSTS),
      timeoutMs: parseDuration(raw.RECAP_WEBHOOK_TIMEOUT),
      retryDelayMs: parseDuration(raw.RECAP_WEBHOOK_RETRY_DELAY),
    },
    benchRoutes: raw.RECAP_BENCH_ROUTES,
  };
}

interface AjvLikeError {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

/**
 * Reads the configuration from `env` (normally `process.env`) with `overrides` (CLI flags, already
 * named as their variables) taking precedence. Throws a ConfigError whose message is one line
 * naming the variable.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<Record<keyof RawConfig, string | number | boolean>> = {},
): Config {
  // Only RECAP_* variables are ours (RECAP_TEST_* belong to the test suite); empty strings count
  // as unset, as in most 12-factor services. An unknown RECAP_* name is an error: usually a typo.
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith('RECAP_') && !key.startsWith('RECAP_TEST_') && value !== undefined && value !== '')
      data[key] = value;
  }
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) data[key] = value;
  const unknown = Object.keys(data).filter((key) => !(key in ConfigSchema.properties));
  if (unknown.length > 0) {
    throw new ConfigError(`${unknown[0]}: unknown setting (see the configuration table in README.md)`);
  }
  let raw: RawConfig;
  try {
    raw = envSchema<RawConfig>({ schema: ConfigSchema, data, env: false });
  } catch (error) {
    const first = (error as { errors?: AjvLikeError[] }).errors?.[0];
    if (!first) throw new ConfigError((error as Error).message);
    const name = first.instancePath.replace(/^\//, '') || String(first.params?.missingProperty ?? 'config');
    const given = data[name];
    const detail = first.params?.allowedValues
      ? `must be one of ${(first.params.allowedValues as unknown[]).join(', ')}`
      : first.params?.pattern === DURATION_PATTERN
        ? 'must be a duration in seconds or with a unit: 30s, 10m, 6h, 1d'
        : (first.message ?? 'is invalid');
    throw new ConfigError(`${name}: ${detail}${given === undefined ? '' : ` (got ${JSON.stringify(given)})`}`);
  }
  return toConfig(raw);
}
