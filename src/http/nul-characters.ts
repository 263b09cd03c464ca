import type { FastifyInstance } from 'fastify';
import { invalidParams } from './errors.js';

/**
 * NUL characters are refused in every string a request carries (body, query, path). PostgreSQL
 * cannot store them in text at all, and no name, id or date has one; refusing them everywhere
 * keeps both engines answering the same 400 instead of PostgreSQL failing mid-query.
 */
export function refuseNulCharacters(app: FastifyInstance): void {
  // A callback hook, not an async one: it runs on every request and rarely has anything to say.
  app.addHook('preHandler', (request, _reply, done) => {
    // A download or upload token is checked by its signature and never stored: one with a NUL is
    // just an invalid token, answered 401 by its route in plugNmeet's text form.
    const { token: _token, ...params } = (request.params ?? {}) as Record<string, unknown>;
    for (const [part, value] of [
      ['body', request.body],
      ['querystring', request.query],
      ['params', params],
    ] as const) {
      const where = pathOfNul(value);
      if (where !== undefined)
        return done(invalidParams(`${[part, where].filter(Boolean).join('.')} must not contain NUL characters`));
    }
    done();
  });
}

/** The dotted path of the first string (or key) holding a NUL, if any; walks without recursion. */
export function pathOfNul(value: unknown): string | undefined {
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      if (current.includes('\0')) return path;
    } else if (
      current !== null &&
      typeof current === 'object' &&
      !ArrayBuffer.isView(current) &&
      typeof (current as { pipe?: unknown }).pipe !== 'function'
    ) {
      for (const [key, item] of Object.entries(current)) {
        const at = path ? `${path}.${key}` : key;
        if (key.includes('\0')) return at;
        stack.push([item, at]);
      }
    }
  }
  return undefined;
}
