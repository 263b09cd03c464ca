import { isNotFound } from '../http/errors.js';

/**
 * Removes objects one by one (each in its own transaction); one another writer removed first (a
 * not-found) is skipped, not counted. Returns how many this call removed.
 */
export async function removeEach<T>(items: readonly T[], remove: (item: T) => Promise<unknown>): Promise<number> {
  let removed = 0;
  for (const item of items) {
    try {
      await remove(item);
      removed++;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  return removed;
}
