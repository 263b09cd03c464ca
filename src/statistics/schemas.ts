import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../shared/schema.js';

export const ListQuerystring = Type.Object(
  {
    offset: Type.Optional(Type.Number({ minimum: 0, description: 'Documents to skip (default 0)' })),
    count: Type.Optional(
      Type.Number({ minimum: 0, description: 'Documents to return: default 50, at most 100; 0 returns every match' }),
    ),
    sort: Type.Optional(
      Type.String({
        maxLength: 1024,
        description: 'JSON object of field → 1 | -1, e.g. {"createdAt":-1}. Default: stored order (oldest first)',
      }),
    ),
    fields: Type.Optional(
      Type.String({ maxLength: 4096, description: 'JSON projection of field → 1 | 0; mixed: inclusion wins' }),
    ),
    query: Type.Optional(
      Type.String({
        maxLength: 65_536,
        description:
          'JSON Mongo-style filter (max 4 KiB, depth 10). Operators: $eq $ne $gt $gte $lt $lte $in $nin $exists $and $or $nor $not $elemMatch $size; Extended JSON {"$date": …} for dates',
      }),
    ),
    format: Type.Optional(
      StringEnum(['json', 'csv'], {
        description: 'csv (Recap): the same page as CSV, one dotted column per field (also Accept: text/csv)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ListQuerystring = Static<typeof ListQuerystring>;

export const StatisticsQuerystring = Type.Object(
  {
    refresh: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'true: take a snapshot first' }),
    ),
  },
  { additionalProperties: false },
);

/** A snapshot as stored: the fields of docs/statistics.md, which may differ between snapshots. */
export const SnapshotDocument = Type.Object(
  {
    _id: Type.Optional(Type.String({ description: '24 hexadecimal characters' })),
    createdAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: true },
);

export const ListReply = Type.Object({
  statistics: Type.Array(SnapshotDocument),
  count: Type.Integer({ description: 'Documents returned' }),
  offset: Type.Integer(),
  total: Type.Integer({ description: 'Documents matching the query' }),
  success: Type.Literal(true),
});

export const StatisticsReply = Type.Intersect([SnapshotDocument, Type.Object({ success: Type.Literal(true) })]);
