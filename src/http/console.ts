import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * The console: the Vite build in dist/console (`npm run build`), served under /console/ by Recap
 * itself, every asset local. Any /console/ path that is not a file is a page of the single-page
 * app, so it gets index.html. Every answer carries a strict Content-Security-Policy: scripts,
 * styles, images, media and requests only from this origin, no inline code, no framing.
 */
export const CONSOLE_ROOT = fileURLToPath(new URL('../../dist/console/', import.meta.url));

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self'; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'x-frame-options': 'DENY',
} as const;

export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/'));
  app.addHook('onSend', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS);
  });
  if (!existsSync(`${CONSOLE_ROOT}index.html`)) {
    app.get('/console/*', { schema: { hide: true } }, async (_request, reply) =>
      reply.code(503).type('text/plain; charset=utf-8').send('The console is not built: run `npm run build`.\n'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: CONSOLE_ROOT,
    prefix: '/console/',
    wildcard: false,
    index: false,
    // Hashed file names: a file's content never changes under its name.
    setHeaders: (res, path) => {
      if (path.includes('/assets/')) res.setHeader('cache-control', 'public, max-age=31536000, immutable');
    },
  });
  const page = async (_request: unknown, reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').sendFile('index.html');
  app.get('/console', { schema: { hide: true } }, page);
  app.get('/console/*', { schema: { hide: true } }, page);
}
