import { sql } from 'kysely';
import { hmacSha256Hex } from '../src/auth/crypto.js';
import { HOT_ROOMS, hotRoom, typicalRoom } from './datasets/recordings.js';
import { scaled } from './datasets/types.js';
import { timePerCall, type BenchContext, type LoadRequest, type Scenario } from './lib/scenario.js';

/** The HTTP ceiling: a static 20-item JSON page through the same server stack. */
export const ceiling: Scenario = {
  name: 'ceiling: static 20-item JSON',
  requests: () => [{ method: 'GET', path: '/bench/static' }],
};

function signed(context: BenchContext, path: string, body: unknown): LoadRequest {
  const raw = JSON.stringify(body);
  return { method: 'POST', path, body: raw, headers: { 'content-type': 'application/json', 'api-key': context.apiKey, 'hash-signature': hmacSha256Hex(context.apiSecret, raw) } };
}

const typicalTriples = (context: BenchContext) => {
  const rooms = scaled(10_000, context.scale, 20) - HOT_ROOMS;
  return Array.from({ length: 60 }, (_, i) => [typicalRoom((i * 37) % rooms), typicalRoom((i * 37 + 11) % rooms), typicalRoom((i * 37 + 23) % rooms)]);
};
const hotTriples = () => Array.from({ length: HOT_ROOMS }, (_, i) => [hotRoom(i), hotRoom((i + 1) % HOT_ROOMS), hotRoom((i + 2) % HOT_ROOMS)]);

/** What a straightforward implementation runs: IN … ORDER BY … OFFSET, plus COUNT(*). */
function straightforward(triples: (c: BenchContext) => string[][], from: number) {
  return {
    label: 'plain SQL',
    run: async (context: BenchContext) => {
      const rooms = triples(context);
      let i = 0;
      return timePerCall(async () => {
        const triple = rooms[i++ % rooms.length]!;
        await sql`select * from recordings where account_id = 1 and room_id in (${sql.join(triple)}) order by creation_time desc, record_id desc limit 20 offset ${from}`.execute(context.db);
        await sql`select count(*) from recordings where account_id = 1 and room_id in (${sql.join(triple)})`.execute(context.db);
      }, 30);
    },
  };
}

const recordingsFetch = (name: string, triples: (c: BenchContext) => string[][], from: number): Scenario => ({
  name,
  requests: (context) => triples(context).map((room_ids) => signed(context, '/auth/recording/fetch', { room_ids, from, limit: 20, order_by: 'DESC' })),
  reference: straightforward(triples, from),
});

/** Every module's scenarios, after the ceiling. */
export const SCENARIOS: Scenario[] = [
  recordingsFetch('recordings: 3 typical rooms', typicalTriples, 0),
  recordingsFetch('recordings: 3 hot rooms from 0', hotTriples, 0),
  recordingsFetch('recordings: 3 hot rooms from 5,000', hotTriples, 5000),
];
