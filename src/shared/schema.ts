import { Type, type SchemaOptions } from '@sinclair/typebox';

/** A string enum as JSON Schema `enum` (clearer validation errors than a union of literals). */
export const StringEnum = <T extends string[]>(values: [...T], options: SchemaOptions = {}) =>
  Type.Unsafe<T[number]>({ ...options, type: 'string', enum: values });
