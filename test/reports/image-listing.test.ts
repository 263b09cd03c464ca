import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { ImageUrls } from '../../src/reports/images.js';
import { deleteExpiredReports } from '../../src/reports/retention.js';
import { ENGINES } from '../helpers/engines.js';
import { ADMIN, bearer, call, loginAs, startTestServer } from '../helpers/server.js';

/**
 * reports_images reads the window's image ids first and takes their entries from those kept within
 * the hour; the images' columns are read only for an image not listed yet. With the read cache off,
 * every listing takes that path: it must follow new images, deleted ones and paging.
 */
for (const engine of ENGINES) {
  describe(`reports_images from kept entries [${engine}]`, () => {
    test('a listing follows images added and deleted between listings, and pages alike', async (t) => {
      const server = await startTestServer(t, engine, { RECAP_READ_CACHE_MB: '0' });
      const admin = await loginAs(server.url, ADMIN.username, ADMIN.password);
      const post = async (path: string, body: unknown) =>
        (await call(server.url, 'POST', path, { headers: bearer(admin), body })).body;
      const channel = await post('/api/v4/channels', { name: 'Field' });
      const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#0a0' } })
        .png()
        .toBuffer();
      const addImage = async (reportCreatedAt: string) => {
        const report = await post('/api/v4/reports', { channel_id: channel.id, created_at: reportCreatedAt });
        const response = await fetch(`${server.url}/api/v4/reports/${report.id}/images`, {
          method: 'POST',
          headers: { ...bearer(admin), 'content-type': 'image/png' },
          body: png,
        });
        assert.equal(response.status, 201);
        return ((await response.json()) as { id: number }).id;
      };
      const listed = async (extra = '') => {
        const query = `channel_id=${channel.id}&start_date=2026-01-01T00:00:00Z&end_date=2027-01-01T00:00:00Z${extra}`;
        const answer = await call(server.url, 'GET', `/api/v4/analytics/reports_images?${query}`, {
          headers: bearer(admin),
        });
        assert.equal(answer.status, 200);
        return answer.body as { report_image_id: number; styles: { thumb: string } }[];
      };

      const march = await addImage('2026-03-01T10:00:00Z');
      const may = await addImage('2026-05-01T10:00:00Z');
      const first = await listed();
      assert.deepEqual(
        first.map((e) => e.report_image_id),
        [march, may],
      );
      assert.deepEqual(await listed(), first, 'the same listing again, from kept entries');

      // An image of a report created between the two: listed in report-time order.
      const april = await addImage('2026-04-01T10:00:00Z');
      const second = await listed();
      assert.deepEqual(
        second.map((e) => e.report_image_id),
        [march, april, may],
      );
      assert.deepEqual(await listed('&from=1&limit=1'), [second[1]]);
      assert.deepEqual(await listed('&from=2'), [second[2]]);

      // Retention deletes the March report and its image: no kept entry brings it back.
      const storage = server.app.storage;
      assert.equal(await deleteExpiredReports(server.database.db, storage, 1, Date.UTC(2026, 2, 15), 100), 1);
      assert.deepEqual(await listed(), second.slice(1));
    });

    test('a whole listing is sent again only for exactly its images, under its base, within a bound', async (t) => {
      const server = await startTestServer(t, engine);
      const urls = await ImageUrls.for(server.database.db, 3_600_000);
      const expires = urls.expiresAt();
      // Entries of 6 KB: three make a listing big enough to be kept whole (16 KB and more).
      const make = (image: { id: number }) => `{"id":${image.id},"pad":"${'x'.repeat(6000)}"}`;
      const idsIn = (bytes: Buffer | undefined) =>
        bytes && (JSON.parse(bytes.toString()) as { id: number }[]).map((entry) => entry.id);
      const images = (...ids: number[]) => ids.map((id) => ({ id }));
      const made = urls.makeListing('http://a', images(1, 2, 3), expires, make);
      assert.deepEqual(idsIn(made), [1, 2, 3]);
      assert.equal(urls.keptListing('http://a', [1, 2, 3], expires), made, 'the same bytes');
      assert.equal(urls.keptListing('http://a', [1, 9, 3], expires), undefined, 'an entry never made');
      assert.equal(urls.keptListing('http://b', [1, 2, 3], expires), undefined, 'another base');
      // Same length, first and last id: kept under the same name, told apart by every id.
      assert.deepEqual(idsIn(urls.makeListing('http://a', images(1, 9, 3), expires, make)), [1, 9, 3]);
      assert.deepEqual(idsIn(urls.keptListing('http://a', [1, 2, 3], expires)), [1, 2, 3]);
      assert.deepEqual(idsIn(urls.keptListing('http://a', [3, 1], expires)), [3, 1]);
      assert.deepEqual(idsIn(urls.keptListing('http://a', [], expires)), []);
      assert.equal(urls.keptListing('http://a', [1, 2, 3], expires + 3600), undefined, 'another hour');

      // Small listings are copied from their entries every time, never kept whole.
      const small = urls.makeListing('http://c', images(1, 2), expires, (image) => `{"id":${image.id}}`);
      assert.notEqual(urls.keptListing('http://c', [1, 2], expires), small);
      assert.deepEqual(idsIn(urls.keptListing('http://c', [1, 2], expires)), [1, 2]);

      // 8 MiB of listings at most: after 600 listings of 18 KB the first is no longer kept whole.
      const first = urls.makeListing('http://d', images(0, 1, 2), expires, make);
      let last = first;
      for (let i = 1; i < 600; i++)
        last = urls.makeListing('http://d', images(3 * i, 3 * i + 1, 3 * i + 2), expires, make);
      assert.equal(urls.keptListing('http://d', [1797, 1798, 1799], expires), last, 'the newest is kept');
      assert.notEqual(urls.keptListing('http://d', [0, 1, 2], expires), first, 'the oldest went');
    });
  });
}
