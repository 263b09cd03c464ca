import send from '@fastify/send';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { requirePermission, requireUser } from '../auth/hooks.js';
import { AppError, forbidden, notFound } from '../http/errors.js';
import { bearerSecurity, IdParams, IsoTimestamp, reportsErrorResponses } from '../http/schemas.js';
import { StringEnum } from '../shared/schema.js';
import { toIso } from '../shared/time.js';
import * as repo from './repository.js';
import { addReportImage, IMAGE_STYLES, imageFile, ImageUrls, type ImageStyle } from './images.js';

const tags = ['reports v4: data in'];

export const Styles = Type.Object({
  thumb: Type.String({ description: 'Signed, expiring URL of the 150×150 JPEG' }),
  medium: Type.String({ description: 'Signed, expiring URL of the JPEG within 800×800' }),
});
const StoredImage = Type.Object({
  id: Type.Integer(),
  account_id: Type.Integer(),
  report_id: Type.Integer(),
  created_at: IsoTimestamp,
  width: Type.Integer(),
  height: Type.Integer(),
  styles: Styles,
});

/** The base of absolute URLs: RECAP_PUBLIC_URL, else the request's own protocol and host. */
export const publicBase = (request: FastifyRequest): string =>
  request.server.config.publicUrl ?? `${request.protocol}://${request.host}`;

/**
 * `POST /api/v4/reports/:id/images` (the image as the body) and
 * `GET /api/v4/report-images/:id/:style.jpg?expires=&signature=` (no headers: the signature is the credential).
 */
export const reportImageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // The signing key is read on first use (building the app needs no database, e.g. for the OpenAPI document).
  const signer = () => ImageUrls.for(app.db, app.config.imageUrlTtlMs);
  // The raw image, buffered up to RECAP_MAX_IMAGE_BYTES (sharp needs all of it to decode).
  app.addContentTypeParser(
    /^image\/|^application\/octet-stream/,
    { parseAs: 'buffer', bodyLimit: app.config.maxImageBytes },
    (_request, body, done) => done(null, body),
  );

  app.post(
    '/api/v4/reports/:id/images',
    {
      onRequest: requireUser,
      preHandler: requirePermission('post-reports'),
      bodyLimit: app.config.maxImageBytes,
      schema: {
        tags,
        summary: 'Attach an image to a report (the body is the image; thumb and medium JPEGs are made from it)',
        security: bearerSecurity,
        params: IdParams,
        consumes: [
          'image/jpeg',
          'image/png',
          'image/webp',
          'image/gif',
          'image/avif',
          'image/heic',
          'image/tiff',
          'application/octet-stream',
        ],
        response: { 201: StoredImage, ...reportsErrorResponses },
      },
    },
    async (request, reply) => {
      if (!Buffer.isBuffer(request.body))
        throw new AppError(
          'unsupported_media_type',
          'send the image as the body with an image/* or application/octet-stream Content-Type',
        );
      const image = await addReportImage(app.db, app.storage, request.user!, request.params.id, request.body);
      const urls = await signer();
      return reply.code(201).send({
        ...image,
        created_at: toIso(image.created_at),
        styles: urls.styles(publicBase(request), image.id, urls.expiresAt()),
      });
    },
  );

  app.get(
    '/api/v4/report-images/:id/:file',
    {
      schema: {
        tags,
        summary: 'A style of a report image, by the signed URL that reports_images or the upload answered',
        params: Type.Object({
          id: IdParams.properties.id,
          file: StringEnum(IMAGE_STYLES.map((style) => `${style}.jpg`)),
        }),
        querystring: Type.Object({
          expires: Type.Integer({ minimum: 0, maximum: 2 ** 40 }),
          signature: Type.String({ minLength: 1, maxLength: 100 }),
        }),
        produces: ['image/jpeg'],
        // A stream, never serialised; 304 when If-None-Match matches the ETag.
        response: { 200: Type.Unsafe<Readable>({ type: 'string', format: 'binary' }), ...reportsErrorResponses },
      },
    },
    async (request, reply) => {
      const style = request.params.file.slice(0, -'.jpg'.length) as ImageStyle;
      const check = (await signer()).check(request.params.id, request.query.expires, request.query.signature);
      // A forged or altered URL says nothing about whether the image exists.
      if (check === 'invalid') throw notFound('image not found');
      if (check === 'expired') throw forbidden('the image URL has expired; ask reports_images for a new one');
      const image = await repo.findImage(app.db, request.params.id);
      const full = image && app.storage.localPath(imageFile(image, style));
      if (!full) throw notFound('image not found');
      const result = await send(request.raw, posix.basename(full), {
        root: posix.dirname(full),
        etag: true,
        lastModified: false,
        cacheControl: false,
        acceptRanges: false,
        index: false,
      });
      if (result.type !== 'file') throw notFound('image not found');
      reply.code(result.statusCode as 200).headers(result.headers as Record<string, string>);
      // Cacheable by the browser until the URL expires; never by shared caches (it is private data).
      reply.header(
        'cache-control',
        `private, max-age=${Math.max(0, request.query.expires - Math.floor(Date.now() / 1000))}, immutable`,
      );
      reply.header('x-content-type-options', 'nosniff');
      return reply.type('image/jpeg').send(result.stream);
    },
  );
};
