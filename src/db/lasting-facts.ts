/**
 * Facts about rows that never change once written (a channel's account, an API key's account),
 * remembered per database instance without any version check. At most `limit` per database: when
 * full, it starts over.
 */
export function lastingFacts<K, V>(limit: number) {
  const byDatabase = new WeakMap<object, Map<K, V>>();
  return {
    get: (db: object, key: K): V | undefined => byDatabase.get(db)?.get(key),
    set(db: object, key: K, value: V): void {
      let facts = byDatabase.get(db);
      if (!facts) byDatabase.set(db, (facts = new Map()));
      if (facts.size >= limit) facts.clear();
      facts.set(key, value);
    },
  };
}
