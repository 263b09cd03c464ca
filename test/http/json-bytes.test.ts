import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JsonBytes } from '../../src/http/cached-json.js';

test('JsonBytes.array joins serialized elements into one JSON array', () => {
  const elements = [{ id: 1, name: 'Ærø 東京 🙂' }, { id: 2, name: 'a,"b"\n' }, {}, [1, [2]]];
  for (let n = 0; n <= elements.length; n++) {
    const some = elements.slice(0, n);
    const bytes = JsonBytes.array(some.map((e) => Buffer.from(JSON.stringify(e)))).bytes;
    assert.equal(bytes.toString('utf8'), JSON.stringify(some));
    assert.deepEqual(JSON.parse(bytes.toString('utf8')), some);
  }
});
