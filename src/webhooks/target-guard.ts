import type { Agent } from 'node:http';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';

/**
 * Tenants choose webhook URLs, so a delivery must not reach into the network Recap runs in. The
 * agents of request-filtering-agent check every address a host name resolves to, inside the
 * connection's own DNS lookup, so the connection goes to the address that was checked (no second
 * lookup a rebinding DNS server could answer differently). Loopback, private, link-local and other
 * non-unicast addresses are refused unless RECAP_WEBHOOK_ALLOWED_HOSTS lets them through: host names
 * (compared exactly), addresses, or CIDR ranges.
 */

export interface AllowedHosts {
  names: ReadonlySet<string>;
  /** Addresses and CIDR ranges, as request-filtering-agent matches them. */
  addresses: readonly string[];
}

/** Parses the comma-separated setting; throws on an entry that is neither a host name, an address nor a range. */
export function parseAllowedHosts(setting: string): AllowedHosts {
  const names = new Set<string>();
  const addresses: string[] = [];
  for (const raw of setting.split(',')) {
    const entry = raw
      .trim()
      .toLowerCase()
      .replace(/^\[(.*)\]$/, '$1');
    if (entry === '') continue;
    if (isIP(entry) !== 0) addresses.push(entry);
    else if (entry.includes('/')) {
      if (!ipaddr.isValidCIDR(entry)) throw new Error(`"${raw.trim()}" is not a valid CIDR range`);
      addresses.push(entry);
    } else if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/.test(entry))
      names.add(entry.replace(/\.$/, ''));
    else throw new Error(`"${raw.trim()}" is neither a host name, an address nor a CIDR range`);
  }
  return { names, addresses };
}

export interface TargetAgents {
  /** The agent for a URL: one that refuses non-public addresses unless the host is allowed. */
  agentFor(url: URL): Agent;
  destroy(): void;
}

export function targetAgents(allowed: AllowedHosts): TargetAgents {
  const common = { keepAlive: true, maxSockets: 4, allowIPAddressList: [...allowed.addresses] };
  const guarded = { http: new RequestFilteringHttpAgent(common), https: new RequestFilteringHttpsAgent(common) };
  const open = {
    http: new RequestFilteringHttpAgent({ ...common, allowPrivateIPAddress: true }),
    https: new RequestFilteringHttpsAgent({ ...common, allowPrivateIPAddress: true }),
  };
  return {
    agentFor(url) {
      const host = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
      const agents = allowed.names.has(host) ? open : guarded;
      return url.protocol === 'https:' ? agents.https : agents.http;
    },
    destroy() {
      for (const agent of [guarded.http, guarded.https, open.http, open.https]) agent.destroy();
    },
  };
}

/** Whether an error is the guard refusing an address (as opposed to the receiver failing). */
export const isRefusedAddress = (error: unknown): boolean =>
  error instanceof Error && /^DNS lookup .* is not allowed/.test(error.message);
