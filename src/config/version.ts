import { readFileSync } from 'node:fs';

/** Recap's version, from package.json (two levels up from both src/config and dist/config). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
