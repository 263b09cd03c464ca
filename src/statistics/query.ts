import {
  $and,
  $elemMatch,
  $eq,
  $exists,
  $gt,
  $gte,
  $in,
  $lt,
  $lte,
  $ne,
  $nin,
  $nor,
  $not,
  $or,
  $size,
} from 'mingo/operators/query';
import secureJson from 'secure-json-parse';
import { invalidParams } from '../http/errors.js';

/**
 * statistics.list's `sort`, `fields` and `query`: parsed, checked against an allow-list, and split
 * into what SQL can answer (createdAt ranges, _id equality, sort on createdAt) and what is matched
 * in memory by mingo. The allow-list holds at every depth; nothing that runs code, no regex.
 */

export type SortSpec = Record<string, 1 | -1>;
export type Projection = Record<string, 0 | 1>;
export type Filter = Record<string, unknown>;

/**
 * Query operators allowed anywhere in a filter (contract §4). The validator below refuses any
 * other `$` key, and mingo's context holds only these, so neither can be bypassed alone.
 */
export const ALLOWED_QUERY_OPERATORS = {
  $eq,
  $ne,
  $gt,
  $gte,
  $lt,
  $lte,
  $in,
  $nin,
  $exists,
  $and,
  $or,
  $nor,
  $not,
  $elemMatch,
  $size,
};
const QUERY_OPERATORS: ReadonlySet<string> = new Set(Object.keys(ALLOWED_QUERY_OPERATORS));
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
export const MAX_QUERY_BYTES = 4096;
export const MAX_QUERY_DEPTH = 10;

const isPlainObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What each operator's operand must be, as MongoDB requires; mingo throws on other shapes, and a
 * malformed filter is the caller's error (error-invalid-query), never a server fault. Each returns
 * what was expected when the operand does not fit.
 */
const OPERAND_SHAPES: Record<string, (operand: unknown) => string | undefined> = {
  $and: (v) =>
    Array.isArray(v) && v.length > 0 && v.every(isPlainObject) ? undefined : 'a non-empty array of objects',
  $or: (v) => (Array.isArray(v) && v.length > 0 && v.every(isPlainObject) ? undefined : 'a non-empty array of objects'),
  $nor: (v) =>
    Array.isArray(v) && v.length > 0 && v.every(isPlainObject) ? undefined : 'a non-empty array of objects',
  $in: (v) => (Array.isArray(v) ? undefined : 'an array'),
  $nin: (v) => (Array.isArray(v) ? undefined : 'an array'),
  $elemMatch: (v) => (isPlainObject(v) ? undefined : 'an object'),
  $not: (v) =>
    isPlainObject(v) && Object.keys(v as object).length > 0 && Object.keys(v as object).every((k) => k.startsWith('$'))
      ? undefined
      : 'an object of operators',
  $size: (v) => (Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : 'a whole number'),
  $exists: (v) => (typeof v === 'boolean' || typeof v === 'number' ? undefined : 'true or false'),
};

function rocketChatError(kind: 'sort' | 'fields' | 'query', raw: string, reason?: string) {
  const message = `Invalid ${kind} parameter provided: "${raw}" [error-invalid-${kind}]`;
  return invalidParams(message, {
    errorType: `error-invalid-${kind}`,
    helperMethod: 'parseJsonQuery',
    ...(reason ? { reason } : {}),
  });
}

function parseObject(kind: 'sort' | 'fields' | 'query', raw: string): Record<string, unknown> {
  let value: unknown;
  try {
    // Refuses __proto__ and constructor.prototype while parsing, before any object is built.
    value = secureJson.parse(raw, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    throw rocketChatError(kind, raw, 'not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw rocketChatError(kind, raw, 'not a JSON object');
  return value as Record<string, unknown>;
}

export function parseSort(raw: string): SortSpec {
  const sort = parseObject('sort', raw);
  for (const [key, direction] of Object.entries(sort)) {
    if (FORBIDDEN_KEYS.has(key) || key.startsWith('$') || (direction !== 1 && direction !== -1))
      throw rocketChatError('sort', raw);
  }
  return sort as SortSpec;
}

/** Values exactly 1 or 0; when both appear, inclusion wins and the 0 keys are dropped (Rocket.Chat). */
export function parseFields(raw: string): Projection {
  const fields = parseObject('fields', raw);
  for (const [key, value] of Object.entries(fields)) {
    if (FORBIDDEN_KEYS.has(key) || key.startsWith('$') || (value !== 1 && value !== 0))
      throw rocketChatError('fields', raw);
  }
  const entries = Object.entries(fields) as [string, 0 | 1][];
  if (entries.some(([, v]) => v === 1) && entries.some(([, v]) => v === 0))
    return Object.fromEntries(entries.filter(([, v]) => v === 1));
  return fields as Projection;
}

/** Extended JSON `{"$date": …}` (ISO string, epoch ms, or {"$numberLong": "…"}) → the ISO string snapshots store. */
function fromExtendedDate(value: unknown): string | undefined {
  const ms =
    typeof value === 'string'
      ? Date.parse(value)
      : typeof value === 'number'
        ? value
        : typeof value === 'object' &&
            value !== null &&
            typeof (value as { $numberLong?: unknown }).$numberLong === 'string'
          ? Number((value as { $numberLong: string }).$numberLong)
          : Number.NaN;
  const date = new Date(ms);
  return Number.isFinite(date.getTime()) ? date.toISOString() : undefined;
}

/** Checks a filter at every depth and replaces Extended JSON dates; throws error-invalid-query. */
export function parseQuery(raw: string): Filter {
  if (Buffer.byteLength(raw) > MAX_QUERY_BYTES)
    throw rocketChatError('query', raw.slice(0, 64), `longer than ${MAX_QUERY_BYTES} bytes`);
  const query = parseObject('query', raw);
  const check = (value: unknown, depth: number): unknown => {
    // Depth counts nested objects; an array (the list of an $and, an $in) adds none.
    if (Array.isArray(value)) return value.map((item) => check(item, depth));
    if (typeof value !== 'object' || value === null) return value;
    if (depth > MAX_QUERY_DEPTH) throw rocketChatError('query', raw, `objects nested deeper than ${MAX_QUERY_DEPTH}`);
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === '$date') {
      const iso = fromExtendedDate((value as { $date: unknown }).$date);
      if (iso === undefined) throw rocketChatError('query', raw, 'invalid $date');
      return iso;
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      if (FORBIDDEN_KEYS.has(key)) throw rocketChatError('query', raw, `key ${key} is not allowed`);
      if (key.startsWith('$') && !QUERY_OPERATORS.has(key))
        throw rocketChatError('query', raw, `operator ${key} is not allowed`);
      const operand = (value as Record<string, unknown>)[key];
      const wrongShape = OPERAND_SHAPES[key]?.(operand);
      if (wrongShape) throw rocketChatError('query', raw, `${key} takes ${wrongShape}`);
      out[key] = check(operand, depth + 1);
    }
    return out;
  };
  return check(query, 1) as Filter;
}

/** What SQL answers: bounds on created_at (ms) and an exact _id. The filter is still applied in full. */
export interface SqlBounds {
  after?: { ms: number; inclusive: boolean };
  before?: { ms: number; inclusive: boolean };
  id?: string;
  /** Whether SQL answers the whole filter (then the total is a SQL count). */
  complete: boolean;
}

const canonicalMs = (value: unknown): number | undefined =>
  typeof value === 'string' && Number.isFinite(Date.parse(value)) && new Date(Date.parse(value)).toISOString() === value
    ? Date.parse(value)
    : undefined;

/** Top-level (and top-level `$and`) conditions on createdAt and _id become SQL bounds. */
export function sqlBounds(filter: Filter): SqlBounds {
  const bounds: SqlBounds = { complete: true };
  const tighten = (side: 'after' | 'before', ms: number, inclusive: boolean) => {
    const current = bounds[side];
    const tighter =
      !current ||
      (side === 'after'
        ? ms > current.ms || (ms === current.ms && !inclusive)
        : ms < current.ms || (ms === current.ms && !inclusive));
    if (tighter) bounds[side] = { ms, inclusive };
  };
  const visit = (conditions: Filter) => {
    for (const [key, condition] of Object.entries(conditions)) {
      if (key === '$and' && Array.isArray(condition)) {
        for (const part of condition) if (typeof part === 'object' && part !== null) visit(part as Filter);
        continue;
      }
      if (key === '_id' && typeof condition === 'string') {
        bounds.id = condition;
        continue;
      }
      if (key === 'createdAt') {
        const exact = canonicalMs(condition);
        if (exact !== undefined) {
          tighten('after', exact, true);
          tighten('before', exact, true);
          continue;
        }
        if (typeof condition === 'object' && condition !== null && !Array.isArray(condition)) {
          const ops = Object.entries(condition);
          const translated = ops.map(([op, value]) => {
            const ms = canonicalMs(value);
            if (ms === undefined) return false;
            if (op === '$gt' || op === '$gte') tighten('after', ms, op === '$gte');
            else if (op === '$lt' || op === '$lte') tighten('before', ms, op === '$lte');
            else if (op === '$eq') {
              tighten('after', ms, true);
              tighten('before', ms, true);
            } else return false;
            return true;
          });
          if (ops.length > 0 && translated.every(Boolean)) continue;
        }
      }
      bounds.complete = false;
    }
  };
  visit(filter);
  return bounds;
}

/** The SQL order for a sort, when SQL can give it: createdAt (ties by _id), or stored order. */
export function sqlOrder(sort: SortSpec | undefined): 'asc' | 'desc' | undefined {
  const keys = Object.keys(sort ?? {});
  if (keys.length === 0) return 'asc';
  if (keys[0] !== 'createdAt') return undefined;
  if (keys.length === 2 && keys[1] === '_id' && sort!._id === sort!.createdAt)
    return sort!.createdAt === 1 ? 'asc' : 'desc';
  return keys.length === 1 ? (sort!.createdAt === 1 ? 'asc' : 'desc') : undefined;
}
