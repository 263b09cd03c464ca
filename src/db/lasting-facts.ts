/**
 * Values remembered per database instance, at most `limit` per database (when full, it starts
 * over). The caller decides what may be kept: see lastingFacts, and auth/credential-speculation.ts
 * for values that are only ever trusted after a check.
 */
export function databaseMemo<K, V>(limit: number) {
  const byDatabase = new WeakMap<object, Map<K, V>>();
  return {
    get: (db: object, key: K): V | undefined => byDatabase.get(db)?.get(key),
    set(db: object, key: K, value: V): void {
      let facts = byDatabase.get(db);
      if (!facts) byDatabase.set(db, (facts = new Map()));
      if (facts.size >= limit) facts.clear();
      facts.set(key, value);
    },
    delete: (db: object, key: K): void => void byDatabase.get(db)?.delete(key),
  };
}

/**
 * Facts about rows that never change once written (a channel's account, an API key's account),
 * remembered per database instance without any version check.
 */
export const lastingFacts = databaseMemo;
