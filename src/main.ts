import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { bootstrap, type BootstrapResult } from './auth/service.js';
import type { Config } from './config/index.js';
import { connect, type DatabaseHandle } from './db/connection.js';
import { migrateToLatest } from './db/migrate.js';

export interface RunningServer {
  app: FastifyInstance;
  database: DatabaseHandle;
  url: string;
  firstStart: BootstrapResult | undefined;
  /** Stops accepting, lets in-flight requests finish, then closes the database. */
  close(): Promise<void>;
}

/** Opens the database, migrates it, creates the first identities if it is empty. */
export async function prepareDatabase(config: Config) {
  const database = await connect(config.databaseUrl, { poolSize: config.dbPoolSize });
  try {
    await migrateToLatest(database.db, { storageRoot: config.storageRoot });
    const firstStart = await bootstrap(database.db, {
      adminUsername: config.admin.username,
      adminPassword: config.admin.password,
      apiKey: config.apiKey.key,
      apiSecret: config.apiKey.secret,
    });
    return { database, firstStart };
  } catch (error) {
    await database.close();
    throw error;
  }
}

export async function startServer(config: Config, options: { logger?: boolean } = {}): Promise<RunningServer> {
  const { database, firstStart } = await prepareDatabase(config);
  let app: FastifyInstance;
  try {
    app = await buildApp({ config, database, ...(options.logger === false ? { logger: false } : {}) });
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await database.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  return {
    app,
    database,
    firstStart,
    url: `http://${host}:${port}`,
    close: () =>
      (closing ??= (async () => {
        await app.close();
        await database.close();
      })()),
  };
}

/** The one-time notice of first-start credentials. */
export function formatFirstStart(result: BootstrapResult): string {
  const lines = [
    'Recap first start: created account 1, the admin user and an API key pair.',
    `  admin user:   ${result.admin.username}`,
    `  password:     ${result.admin.passwordGenerated ? result.admin.password : '(from RECAP_ADMIN_PASSWORD)'}`,
    `  API key:      ${result.apiKey.apiKey}`,
    `  API secret:   ${result.apiKey.secretGenerated ? result.apiKey.apiSecret : '(from RECAP_API_SECRET)'}`,
  ];
  if (result.admin.passwordGenerated || result.apiKey.secretGenerated)
    lines.push('Store these now: they are not shown again.');
  return lines.join('\n');
}
