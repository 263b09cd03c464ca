import { Readable } from 'node:stream';
import sharp from 'sharp';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Caller } from '../reports/access.js';
import { addReportImage } from '../reports/images.js';
import { importNdjson } from '../reports/import.js';
import { createForm, createNamed, newestReportIds, setReportState } from '../reports/service.js';
import type { FileStorage } from '../storage/files.js';
import type { Rand } from '../shared/random.js';

/**
 * A year of report activity for one account, through the same code the API uses: channels, states
 * and forms with every field type; reports with a daily and weekly rhythm (busy working hours,
 * quiet weekends), reads, alerts with deliveries and opens, imported as one NDJSON file; then state
 * changes and small images made with sharp.
 */

const DAY = 86_400_000;
const CHANNELS = ['Field inspections', 'Incidents', 'Maintenance'];
const STATES = ['Open', 'In progress', 'Resolved'];
/** Relative weight of each hour of a working day, and of each week day (Sunday first). */
const HOURLY = [1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 13, 11, 9, 11, 13, 12, 10, 7, 5, 4, 3, 2, 1, 1];
const WEEKLY = [3, 10, 11, 11, 10, 9, 4];
const AREAS = ['North yard', 'Pier 4', 'Warehouse B', 'Main gate', 'Dock 2', 'Workshop'];

function weighted(rand: Rand, weights: readonly number[]): number {
  let n = rand.int(weights.reduce((a, b) => a + b, 0));
  for (const [i, w] of weights.entries()) if ((n -= w) < 0) return i;
  return weights.length - 1;
}

/** A report time in the last year: busier on working days and hours, and busier lately. */
function reportTime(rand: Rand, now: number): number {
  for (;;) {
    // Growth over the year: later days are up to twice as likely.
    const daysAgo = rand.int(365);
    if (rand.int(365 * 2) < 365 - daysAgo) continue;
    const day = new Date(now - daysAgo * DAY);
    if (rand.int(11) >= WEEKLY[day.getUTCDay()]!) continue;
    const start = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate());
    const at = start + weighted(rand, HOURLY) * 3_600_000 + rand.int(3_600_000);
    if (at < now) return at;
  }
}

export interface ReportPeople {
  manager: Caller;
  /** Users who post reports, read and get alerts. */
  reporters: number[];
  readers: number[];
}

export async function seedReports(
  db: Kysely<Database>,
  storage: FileStorage,
  rand: Rand,
  people: ReportPeople,
  options: { reports: number; images: number; now: number; progress: (done: number) => void },
): Promise<{ reports: number; images: number }> {
  const { manager } = people;
  const states = [];
  for (const name of STATES) states.push(await createNamed(db, 'states', manager.accountId, name));
  const channels = [];
  for (const name of CHANNELS) {
    const channel = await createNamed(db, 'channels', manager.accountId, name);
    const form = await createForm(db, manager, {
      channel_id: channel.id,
      name: `${name} report`,
      fields: [
        {
          name: 'Category',
          field_type: 'Category',
          options: [{ name: 'Safety' }, { name: 'Quality' }, { name: 'Environment' }],
        },
        { name: 'Area', field_type: 'DropDown', options: AREAS.map((area) => ({ name: area })) },
        { name: 'Severity', field_type: 'Radio', options: [{ name: 'Low' }, { name: 'Medium' }, { name: 'High' }] },
        {
          name: 'Checks',
          field_type: 'Checkbox',
          options: [{ name: 'Photographed' }, { name: 'Reported to lead' }, { name: 'Area closed' }],
        },
        { name: 'Notes', field_type: 'Text' },
        { name: 'People involved', field_type: 'Number' },
        { name: 'Observed on', field_type: 'Date' },
      ],
    });
    channels.push({ channel, form });
  }

  const lines: string[] = [];
  for (let i = 0; i < options.reports; i++) {
    // The first channel is the busy one, as in most installations.
    const { channel, form } = channels[weighted(rand, [6, 3, 1])]!;
    const [category, area, severity, checks, notes, count, date] = form.fields;
    const at = reportTime(rand, options.now);
    const values: Record<string, unknown> = {
      [category!.id]: rand.pick(category!.options).value,
      [area!.id]: rand.pick(area!.options).value,
      [severity!.id]: severity!.options[weighted(rand, [6, 3, 1])]!.value,
      [checks!.id]: checks!.options.filter(() => rand.chance(0.4)).map((o) => o.value),
      [notes!.id]: rand.pick([
        'All clear',
        'Loose railing',
        'Oil on floor',
        'Blocked exit',
        'Lights out',
        'Forklift near miss',
      ]),
      [count!.id]: rand.int(5),
      [date!.id]: new Date(at).toISOString().slice(0, 10),
    };
    const ref = `r${i}`;
    lines.push(
      JSON.stringify({
        type: 'report',
        ref,
        channel_id: channel.id,
        form_id: form.id,
        user_id: rand.pick(people.reporters),
        state_id: states[0]!.id,
        created_at: new Date(at).toISOString(),
        values,
      }),
    );
    const later = (minutes: number) =>
      new Date(Math.min(options.now, at + (1 + rand.int(minutes)) * 60_000)).toISOString();
    for (const reader of people.readers)
      if (rand.chance(0.45))
        lines.push(JSON.stringify({ type: 'read', report_ref: ref, user_id: reader, read_at: later(600) }));
    if (rand.chance(0.06)) {
      const recipients = people.readers.filter(() => rand.chance(0.7));
      if (recipients.length === 0) continue;
      lines.push(
        JSON.stringify({ type: 'alert', ref: `a${i}`, report_ref: ref, user_ids: recipients, sent_at: later(5) }),
      );
      for (const user of recipients)
        if (rand.chance(0.7))
          lines.push(JSON.stringify({ type: 'alert_open', alert_ref: `a${i}`, user_id: user, opened_at: later(120) }));
    }
  }
  await importNdjson(db, manager, Readable.from(lines.map((l) => `${l}\n`)), (n) =>
    options.progress(Math.min(n, lines.length) / lines.length),
  );

  // State changes and images for some of the newest reports.
  const newest = await newestReportIds(db, manager.accountId, Math.max(options.images, Math.ceil(options.reports / 4)));
  for (const id of newest)
    if (rand.chance(0.6)) await setReportState(db, manager, id, states[rand.chance(0.7) ? 2 : 1]!.id);
  for (const id of newest.slice(0, options.images)) {
    const hue = rand.int(360);
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><rect width="640" height="480" fill="hsl(${hue},45%,55%)"/><circle cx="${100 + rand.int(440)}" cy="${100 + rand.int(280)}" r="${40 + rand.int(80)}" fill="hsl(${(hue + 180) % 360},50%,40%)"/><text x="24" y="452" font-family="sans-serif" font-size="28" fill="#fff">Report ${id}</text></svg>`;
    const image = await sharp(Buffer.from(svg)).jpeg({ quality: 70 }).toBuffer();
    await addReportImage(db, storage, manager, id, image);
  }
  return { reports: options.reports, images: Math.min(options.images, newest.length) };
}
