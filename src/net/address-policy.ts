// The outbound address policy: calls Cadenza makes on a user's behalf (HTTP Request nodes,
// targets) must not reach loopback, private, link-local or other internal addresses unless the
// operator allowlisted them. Hostnames are resolved first and every address is checked, and the
// caller connects to the checked address, so DNS cannot swap in another one afterwards.
import dns from 'node:dns/promises';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

export class AddressPolicyError extends Error {
  override name = 'AddressPolicyError';
}

export interface AddressPolicy {
  /** Exact IPs or CIDR ranges that are allowed even though they are internal. */
  allow: string[];
}

/** Parses a comma-separated allowlist such as `127.0.0.1,10.0.0.0/8`; throws naming a bad entry. */
export function parseAllowlist(raw: string | undefined): string[] {
  const entries = (raw ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const e of entries) {
    const ok = e.includes('/') ? safe(() => ipaddr.parseCIDR(e)) : ipaddr.isValid(e);
    if (!ok) throw new AddressPolicyError(`'${e}' is not an IP address or CIDR range`);
  }
  return entries;
}

function safe(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

function allowlisted(addr: ipaddr.IPv4 | ipaddr.IPv6, allow: string[]): boolean {
  return allow.some((entry) => {
    if (!entry.includes('/')) return ipaddr.parse(entry).toNormalizedString() === addr.toNormalizedString();
    const range = ipaddr.parseCIDR(entry);
    return addr.kind() === range[0].kind() && addr.match(range);
  });
}

/** True when an address is public unicast; everything else (loopback, private, …) is internal. */
export function isPublicAddress(ip: string): boolean {
  let addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  return addr.range() === 'unicast';
}

/** Throws AddressPolicyError unless the address is public or allowlisted. */
export function checkAddress(ip: string, policy: AddressPolicy): void {
  let addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
  if (addr.range() === 'unicast' || allowlisted(addr, policy.allow)) return;
  throw new AddressPolicyError(`${ip} is a ${addr.range()} address; outbound calls to it are refused unless allowlisted`);
}

/** Resolves a URL's host and checks every address; returns the first one to connect to. */
export async function resolveAllowed(url: URL, policy: AddressPolicy): Promise<string> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AddressPolicyError(`${url.protocol} URLs are not allowed; use http or https`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = net.isIP(host) ? [host] : (await dns.lookup(host, { all: true })).map((a) => a.address);
  if (addresses.length === 0) throw new AddressPolicyError(`${host} does not resolve`);
  for (const a of addresses) checkAddress(a, policy);
  return addresses[0]!;
}
