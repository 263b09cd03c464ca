import type { Scenario } from './lib/scenario.js';

/** The HTTP ceiling: a static 20-item JSON page through the same server stack. */
export const ceiling: Scenario = {
  name: 'ceiling: static 20-item JSON',
  requests: () => [{ method: 'GET', path: '/bench/static' }],
};

/** Every module's scenarios, after the ceiling. */
export const SCENARIOS: Scenario[] = [];
