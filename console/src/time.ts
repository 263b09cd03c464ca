import { offsetAt } from '../../src/reports/analytics/zone.js';

/** Dates in the viewer's chosen time zone: the dashboard's window is whole local days. */

/** The instant a local date (YYYY-MM-DD) begins in a zone. */
export function startOfDay(date: string, zone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d);
  // The offset at the wall time read as UTC is a first guess; the offset at that guess is right
  // except within an hour of a change.
  return wall - offsetAt(zone, wall - offsetAt(zone, wall));
}

/** The local date (YYYY-MM-DD) of an instant in a zone. */
export function localDate(ms: number, zone: string): string {
  return new Date(ms + offsetAt(zone, ms)).toISOString().slice(0, 10);
}

/** A local date moved by whole days. */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

export const browserZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export function timeZones(): string[] {
  const zones = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  return zones.includes('UTC') ? zones : ['UTC', ...zones];
}

export const isDate = (value: string | undefined): value is string =>
  !!value && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value));
