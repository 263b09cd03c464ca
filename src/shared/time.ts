/** ISO 8601 UTC with milliseconds, the timestamp format of every API response. */
export const toIso = (ms: number): string => new Date(ms).toISOString();

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/** An ISO 8601 instant with `Z` or an offset (a local time without one is ambiguous) → unix ms. */
export function parseInstant(value: string): number | undefined {
  if (!ISO_WITH_OFFSET.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
