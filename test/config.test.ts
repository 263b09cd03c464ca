import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ConfigError, ConfigSchema, loadConfig, parseDuration } from '../src/config/index.js';

describe('configuration', () => {
  test('defaults match the contract', () => {
    const config = loadConfig({});
    assert.equal(config.databaseUrl, 'sqlite:./data/recap.db');
    assert.equal(config.dataDir, './data');
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.tokenTtlMs, 30 * 60_000);
    assert.equal(config.statsIntervalMs, 24 * 3600_000);
    assert.equal(config.sessionIdleTimeoutMs, 6 * 3600_000);
    assert.equal(config.statsRetentionDays, 365);
    assert.equal(config.bodyLimit, 1024 * 1024);
  });

  test('durations take plain seconds or s, m, h, d suffixes', () => {
    assert.equal(parseDuration('90'), 90_000);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('10m'), 600_000);
    assert.equal(parseDuration('6h'), 21_600_000);
    assert.equal(parseDuration('1d'), 86_400_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.throws(() => parseDuration('10 minutes'), ConfigError);
    assert.equal(loadConfig({ RECAP_TOKEN_TTL: '45' }).tokenTtlMs, 45_000);
  });

  test('flags override the environment', () => {
    const config = loadConfig({ RECAP_PORT: '9000', RECAP_HOST: '0.0.0.0' }, { RECAP_PORT: '9100' });
    assert.equal(config.port, 9100);
    assert.equal(config.host, '0.0.0.0');
  });

  test('empty variables count as unset', () => {
    assert.equal(loadConfig({ RECAP_PORT: '' }).port, 8080);
  });

  const bad: [Record<string, string>, RegExp][] = [
    [{ RECAP_PORT: 'eighty' }, /^RECAP_PORT: must be integer \(got "eighty"\)$/],
    [{ RECAP_PORT: '70000' }, /^RECAP_PORT: must be <= 65535/],
    [{ RECAP_DATABASE_URL: 'mysql://x' }, /^RECAP_DATABASE_URL: /],
    [
      { RECAP_TOKEN_TTL: '10 minutes' },
      /^RECAP_TOKEN_TTL: must be a duration in seconds or with a unit: 30s, 10m, 6h, 1d/,
    ],
    [{ RECAP_LOG_LEVEL: 'loud' }, /^RECAP_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent/],
    [{ RECAP_STATS_UNSAFE_PARAMS: 'maybe' }, /^RECAP_STATS_UNSAFE_PARAMS: must be boolean/],
    [{ RECAP_ADMIN_PASSWORD: 'short' }, /^RECAP_ADMIN_PASSWORD: must NOT have fewer than 8 characters/],
    [{ RECAP_PROT: '8080' }, /^RECAP_PROT: unknown setting/],
  ];
  for (const [env, message] of bad) {
    test(`invalid ${Object.keys(env)[0]} is one clear line naming the variable`, () => {
      assert.throws(
        () => loadConfig(env),
        (error: unknown) => error instanceof ConfigError && message.test(error.message),
      );
    });
  }

  test('an invalid setting stops the CLI with exit code 1 and one line on stderr', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'migrate'], {
      env: { ...process.env, RECAP_PORT: 'eighty' },
      encoding: 'utf8',
    });
    assert.equal(result.status, 1);
    assert.equal(result.stderr.trim(), 'recap: invalid configuration: RECAP_PORT: must be integer (got "eighty")');
  });

  test('README documents every setting', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const name of Object.keys(ConfigSchema.properties))
      assert.ok(readme.includes(`\`${name}\``), `${name} missing from README`);
  });
});
