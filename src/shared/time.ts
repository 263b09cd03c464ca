/** ISO 8601 UTC with milliseconds, the timestamp format of every API response. */
export const toIso = (ms: number): string => new Date(ms).toISOString();
