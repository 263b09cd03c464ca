import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { generateOpenApi } from '../src/openapi.js';

describe('OpenAPI document', () => {
  test('docs/openapi.json is current (run `npm run openapi` after changing a route)', async () => {
    const generated = await generateOpenApi();
    assert.equal(readFileSync('docs/openapi.json', 'utf8'), generated);
  });

  test('every public route is documented with a summary', async () => {
    const document = JSON.parse(await generateOpenApi()) as {
      paths: Record<string, Record<string, { summary?: string }>>;
    };
    for (const path of [
      '/healthz',
      '/readyz',
      '/metrics',
      '/api/v1/login',
      '/api/v1/logout',
      '/api/v1/me',
      '/api/v4/accounts',
      '/api/v4/users',
    ]) {
      assert.ok(document.paths[path], `${path} missing`);
      for (const [method, operation] of Object.entries(document.paths[path]!))
        assert.ok(operation.summary, `${method} ${path} has no summary`);
    }
  });
});
