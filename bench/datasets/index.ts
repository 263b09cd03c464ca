import { analytics } from './analytics.js';
import { identities } from './identities.js';
import { recordings } from './recordings.js';
import { reports } from './reports.js';
import { statistics } from './statistics.js';
import type { Dataset } from './types.js';

/** Every module's data set, in load order (later ones reference earlier ids). */
export const DATASETS: Dataset[] = [identities, recordings, analytics, statistics, reports];
