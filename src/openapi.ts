import { buildApp } from './app.js';
import { loadConfig } from './config/index.js';
import { connect } from './db/connection.js';

/** The OpenAPI document as the running server publishes it at /openapi.json. */
export async function generateOpenApi(): Promise<string> {
  const config = loadConfig({ RECAP_DATABASE_URL: 'sqlite::memory:', RECAP_LOG_LEVEL: 'silent' });
  const database = await connect(config.databaseUrl);
  const app = await buildApp({ config, database, logger: false });
  try {
    await app.ready();
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
    await database.close();
  }
}
