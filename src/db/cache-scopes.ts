/**
 * Names of read-cache scopes: what a cached answer depends on. Triggers (migration 0021) bump a
 * scope's version with every write to the tables it covers; these builders name the same rows.
 */
export const cacheScope = {
  /** A channel's reports, their images, and its forms (what the count analytics read). */
  channel: (channelId: number) => `c:${channelId}`,
  /** A channel's reads (reports_read). */
  channelReads: (channelId: number) => `cr:${channelId}`,
  /** A channel's alerts, deliveries and opens (user_awareness). */
  channelAlerts: (channelId: number) => `ca:${channelId}`,
  /** An account's channels, states and users (the names analytics answers show). */
  account: (accountId: number) => `a:${accountId}`,
  /** An account's recordings. */
  recordings: (accountId: number) => `r:${accountId}`,
  /** An account's analytics files. */
  analyticsFiles: (accountId: number) => `f:${accountId}`,
  /** Users, accounts and user tokens (credential lookups). */
  users: 'u',
  /** API keys and accounts (plugNmeet credential lookups). */
  apiKeys: 'k',
  /** Statistics snapshots. */
  statistics: 's',
} as const;
