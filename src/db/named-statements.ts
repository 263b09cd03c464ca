import type pg from 'pg';

/**
 * PostgreSQL parses and plans every query sent without a name. The hot read queries are few fixed
 * texts (db/prepared.ts builds each shape once), so they are sent as named prepared statements:
 * each connection parses and plans a text once and afterwards only binds values. PostgreSQL
 * keeps choosing between a custom and a generic plan per execution (plan_cache_mode = auto).
 */

/** Statement name by SQL text; bounded, since every connection keeps what it prepared. */
const names = new Map<string, string>();
const MAX_NAMED = 1000;

/** Runs `text` as a named statement on PostgreSQL from now on. */
export function nameStatement(text: string): void {
  if (!names.has(text) && names.size < MAX_NAMED) names.set(text, `recap_${names.size + 1}`);
}

type Query = (...args: unknown[]) => unknown;

/** Makes a pool client send named texts as prepared statements (other calls pass through). */
export function useNamedStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as Query;
  const named: Query = (config, values, callback) => {
    const name = typeof config === 'string' && callback === undefined ? names.get(config) : undefined;
    return name === undefined ? query(config, values, callback) : query({ name, text: config, values });
  };
  client.query = named as typeof client.query;
}
