import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { createAccount, createUser } from '../../src/auth/service.js';
import { ImageUrls, MAX_IMAGE_PIXELS, renderVariants } from '../../src/reports/images.js';
import { ENGINES } from '../helpers/engines.js';
import { ADMIN, bearer, call, loginAs, startTestServer, type Session, type TestServer } from '../helpers/server.js';

/** A 1200×900 photo-like JPEG whose EXIF says "rotate 90°" (as phones write them), so upright it is 900×1200. */
async function phonePhoto(): Promise<Buffer> {
  const gradient = Buffer.alloc(1200 * 900 * 3);
  for (let i = 0; i < 1200 * 900; i++) gradient.set([i % 256, (i >> 8) % 256, 128], i * 3);
  return sharp(gradient, { raw: { width: 1200, height: 900, channels: 3 } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

const smallPng = () =>
  sharp({ create: { width: 40, height: 30, channels: 4, background: { r: 0, g: 128, b: 255, alpha: 0.5 } } })
    .png()
    .toBuffer();

async function upload(
  server: TestServer,
  session: Session,
  reportId: number,
  body: Buffer | string,
  type = 'image/jpeg',
) {
  const response = await fetch(`${server.url}/api/v4/reports/${reportId}/images`, {
    method: 'POST',
    headers: { ...bearer(session), 'content-type': type },
    body,
  });
  return { status: response.status, body: (await response.json()) as any };
}

async function setup(t: Parameters<typeof startTestServer>[0], engine: (typeof ENGINES)[number], settings = {}) {
  const server = await startTestServer(t, engine, settings);
  const db = server.database.db;
  const other = await createAccount(db, 'Other org');
  const make = async (accountId: number, username: string, roles: ('manager' | 'analyst' | 'reporter')[]) => {
    const user = await createUser(db, {
      accountId,
      username,
      password: `${username}-password`,
      firstName: username,
      lastName: 'T',
      roles,
    });
    return { id: user.id, session: await loginAs(server.url, username, `${username}-password`) };
  };
  const admin = await loginAs(server.url, ADMIN.username, ADMIN.password);
  const people = {
    admin,
    reporter: await make(1, 'reporter1', ['reporter']),
    reporter2: await make(1, 'reporter2', ['reporter']),
    analyst: await make(1, 'analyst1', ['analyst']),
    otherManager: await make(other.id, 'manager2', ['manager']),
    otherAnalyst: await make(other.id, 'analyst2', ['analyst']),
  };
  const channel = (
    await call(server.url, 'POST', '/api/v4/channels', { headers: bearer(admin), body: { name: 'Field' } })
  ).body;
  const report = async (createdAt: string, session = people.reporter.session) =>
    (
      await call(server.url, 'POST', '/api/v4/reports', {
        headers: bearer(session),
        body: { channel_id: channel.id, created_at: createdAt },
      })
    ).body;
  return { server, people, channel, report };
}

const imagesOf = (server: TestServer, session: Session, query: string) =>
  call(server.url, 'GET', `/api/v4/analytics/reports_images?${query}`, { headers: bearer(session) });

test('a decompression bomb (a small file that claims more than 50 megapixels) is refused before decoding', async () => {
  const bomb = await sharp({ create: { width: 10_000, height: 6_000, channels: 3, background: '#000' } })
    .png({ compressionLevel: 9 })
    .toBuffer();
  assert.ok(bomb.length < 1_000_000 && 10_000 * 6_000 > MAX_IMAGE_PIXELS);
  await assert.rejects(renderVariants(bomb), /more than 50 megapixels/);
});

for (const engine of ENGINES) {
  describe(`reports v4 images [${engine}]`, () => {
    test('an upload makes thumb and medium JPEGs, served by signed URLs without headers, listed by reports_images', async (t) => {
      const { server, people, channel, report } = await setup(t, engine);
      const first = await report('2026-05-01T08:00:00Z');
      const second = await report('2026-05-02T08:00:00Z');
      const atEnd = await report('2026-05-03T00:00:00Z');

      const photo = await upload(server, people.reporter.session, second.id, await phonePhoto());
      assert.equal(photo.status, 201, JSON.stringify(photo.body));
      assert.deepEqual(
        { ...photo.body, created_at: undefined, styles: undefined },
        {
          id: photo.body.id,
          account_id: 1,
          report_id: second.id,
          width: 900,
          height: 1200,
          created_at: undefined,
          styles: undefined,
        },
      );
      assert.match(
        photo.body.styles.thumb,
        new RegExp(
          `^${server.url}/api/v4/report-images/${photo.body.id}/thumb\\.jpg\\?expires=\\d+&signature=[A-Za-z0-9_-]+$`,
        ),
      );

      // An <img> sends no credentials: the URL alone must do.
      const thumb = await fetch(photo.body.styles.thumb);
      assert.equal(thumb.status, 200);
      assert.equal(thumb.headers.get('content-type'), 'image/jpeg');
      assert.match(thumb.headers.get('cache-control') ?? '', /^private, max-age=\d+, immutable$/);
      const thumbMeta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
      assert.deepEqual(
        [thumbMeta.format, thumbMeta.width, thumbMeta.height, thumbMeta.exif],
        ['jpeg', 150, 150, undefined],
      );
      const medium = await fetch(photo.body.styles.medium);
      const mediumMeta = await sharp(Buffer.from(await medium.arrayBuffer())).metadata();
      assert.deepEqual(
        [mediumMeta.width, mediumMeta.height, mediumMeta.orientation],
        [600, 800, undefined],
        'upright, within 800×800, EXIF stripped',
      );
      // As a browser revalidates (fetch() alone would add Cache-Control: no-cache).
      const again = await fetch(photo.body.styles.medium, {
        headers: { 'if-none-match': medium.headers.get('etag') ?? '', 'cache-control': 'max-age=0' },
      });
      assert.equal(again.status, 304);

      const png = await upload(server, people.reporter.session, first.id, await smallPng(), 'image/png');
      assert.equal(png.status, 201);
      assert.deepEqual([png.body.width, png.body.height], [40, 30]);
      const pngMedium = await sharp(Buffer.from(await (await fetch(png.body.styles.medium)).arrayBuffer())).metadata();
      assert.deepEqual([pngMedium.width, pngMedium.height], [40, 30], 'small images are not enlarged');
      const edge = await upload(
        server,
        people.reporter.session,
        atEnd.id,
        await smallPng(),
        'application/octet-stream',
      );
      assert.equal(edge.status, 201);

      // The window is [start, end) over report time; oldest report first; from/limit page through it.
      const window = `channel_id=${channel.id}&start_date=2026-05-01T08:00:00Z&end_date=2026-05-03T00:00:00Z`;
      const listed = await imagesOf(server, people.analyst.session, window);
      assert.equal(listed.status, 200);
      assert.deepEqual(
        listed.body.map((image: any) => [
          image.report_image_id,
          image.account_id,
          image.report_id,
          image.created_at === png.body.created_at || image.created_at === photo.body.created_at,
        ]),
        [
          [png.body.id, 1, first.id, true],
          [photo.body.id, 1, second.id, true],
        ],
      );
      assert.equal(
        listed.body[1].styles.thumb,
        photo.body.styles.thumb,
        'URLs repeat within the hour, so browsers cache them',
      );
      assert.equal((await fetch(listed.body[0].styles.thumb)).status, 200);
      // Entries are kept between listings, per base: a request under another host gets its own URLs.
      const underHost = (host: string) =>
        new Promise<any[]>((resolve, reject) => {
          const url = new URL(`/api/v4/analytics/reports_images?${window}`, server.url);
          get(url, { headers: { ...bearer(people.analyst.session), host } }, (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
          }).on('error', reject);
        });
      const elsewhere = await underHost('photos.example.org');
      assert.equal(elsewhere[1].styles.thumb, photo.body.styles.thumb.replace(server.url, 'http://photos.example.org'));
      assert.deepEqual(await underHost(new URL(server.url).host), listed.body);
      assert.deepEqual(
        (await imagesOf(server, people.analyst.session, `${window}&from=1&limit=5`)).body.map(
          (i: any) => i.report_image_id,
        ),
        [photo.body.id],
      );
      assert.deepEqual(
        (await imagesOf(server, people.analyst.session, `${window}&limit=1`)).body.map((i: any) => i.report_image_id),
        [png.body.id],
      );
      assert.deepEqual((await imagesOf(server, people.analyst.session, `${window}&from=2`)).body, []);
      for (const bad of ['limit=0', 'limit=10001', 'from=-1', 'limit=x']) {
        const response = await imagesOf(server, people.analyst.session, `${window}&${bad}`);
        assert.equal(response.status, 400, bad);
        assert.equal(response.body.code, 'invalid_params', bad);
      }
    });

    test('what is not an image is refused, and nothing is stored', async (t) => {
      const { server, people, report } = await setup(t, engine, { RECAP_MAX_IMAGE_BYTES: '4096' });
      const target = await report('2026-05-01T08:00:00Z');
      const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>';
      const cases: [string, Buffer | string, string, number][] = [
        ['text sent as an image', 'this is not an image', 'image/png', 400],
        ['a truncated JPEG header', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46]), 'image/jpeg', 400],
        ['an SVG document', svg, 'image/svg+xml', 400],
        ['an empty body', Buffer.alloc(0), 'image/jpeg', 400],
        ['JSON', '{"image":"x"}', 'application/json', 415],
        ['over RECAP_MAX_IMAGE_BYTES', Buffer.alloc(5000, 1), 'image/jpeg', 413],
      ];
      for (const [what, body, type, status] of cases) {
        const response = await upload(server, people.reporter.session, target.id, body, type);
        assert.equal(response.status, status, `${what}: ${JSON.stringify(response.body)}`);
        if (status === 400) {
          assert.equal(response.body.code, 'invalid_params', what);
          assert.match(response.body.error, /^body: /, what);
        }
      }
      assert.equal((await server.database.db.selectFrom('report_images').selectAll().execute()).length, 0);
      const dir = join(server.config.dataDir, 'files', 'report-images');
      assert.ok(!existsSync(dir) || readdirSync(dir, { recursive: true }).length === 0, 'no files left behind');
      assert.equal(
        (await upload(server, people.reporter.session, target.id, await smallPng(), 'image/png')).status,
        201,
        'a real image still goes in',
      );
    });

    test('signed URLs: altered or expired URLs are refused; another account gets 404; roles are enforced', async (t) => {
      const { server, people, channel, report } = await setup(t, engine);
      const target = await report('2026-05-01T08:00:00Z');
      const image = (await upload(server, people.reporter.session, target.id, await smallPng(), 'image/png')).body;
      const thumb = new URL(image.styles.thumb);
      const variant = (change: (url: URL) => void) => {
        const url = new URL(thumb);
        change(url);
        return fetch(url);
      };
      const statusOf = async (response: Promise<Response>) => (await response).status;
      assert.equal(
        await statusOf(
          variant((u) => u.searchParams.set('signature', `${thumb.searchParams.get('signature')!.slice(0, -2)}AA`)),
        ),
        404,
      );
      assert.equal(
        await statusOf(
          variant((u) => u.searchParams.set('expires', String(Number(thumb.searchParams.get('expires')) + 3600))),
        ),
        404,
      );
      // The signature grants the image, not one style of it: the thumb's URL also opens the medium.
      assert.equal(await statusOf(variant((u) => (u.pathname = u.pathname.replace('thumb', 'medium')))), 200);
      assert.equal(
        await statusOf(variant((u) => (u.pathname = u.pathname.replace(`/${image.id}/`, `/${image.id + 1}/`)))),
        404,
      );
      assert.equal(await statusOf(variant((u) => u.searchParams.delete('signature'))), 400);
      assert.equal(await statusOf(variant((u) => (u.pathname = u.pathname.replace('thumb.jpg', 'original.png')))), 400);
      // A URL signed correctly but past its expiry: 403, so a client knows to ask for a fresh one.
      const urls = await ImageUrls.for(server.database.db, 3_600_000);
      const expired = await fetch(urls.styles(server.url, image.id, Math.floor(Date.now() / 1000) - 1).thumb);
      assert.equal(expired.status, 403);
      assert.equal(((await expired.json()) as { code: string }).code, 'forbidden');

      // Account 2 sees nothing of account 1: not the report (to attach to), not the channel's images.
      assert.equal(
        (await upload(server, people.otherManager.session, target.id, await smallPng(), 'image/png')).status,
        404,
      );
      const window = `channel_id=${channel.id}&start_date=2026-01-01T00:00:00Z&end_date=2027-01-01T00:00:00Z`;
      const foreign = await imagesOf(server, people.otherAnalyst.session, window);
      assert.equal(foreign.status, 404);
      assert.equal(foreign.body.code, 'not_found');
      // Reporters post images but cannot read analytics; only the reporter or a manager adds images.
      assert.equal((await imagesOf(server, people.reporter.session, window)).status, 403);
      assert.equal(
        (await upload(server, people.reporter2.session, target.id, await smallPng(), 'image/png')).status,
        403,
      );
      assert.equal((await upload(server, people.admin, target.id, await smallPng(), 'image/png')).status, 201);
      assert.equal((await upload(server, people.reporter.session, 999_999, await smallPng(), 'image/png')).status, 404);
      const anonymous = await fetch(`${server.url}/api/v4/reports/${target.id}/images`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: await smallPng(),
      });
      assert.equal(anonymous.status, 401);
    });
  });
}
