// The outbound address policy for calls that scripts and targets make to user-supplied URLs.
// The host name is resolved first and every resolved address is checked, so a public name that
// points at an internal address is refused too (SSRF). Only global unicast addresses pass,
// unless the allowlist (CADENZA_OUTBOUND_ALLOWLIST: host names, IPs or CIDRs) names them.
import dns from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

export class OutboundAddressRefused extends Error {
  constructor(readonly host: string, readonly address: string, readonly range: string) {
    super(`outbound call to ${host} refused: ${address} is a ${range} address (allow it with CADENZA_OUTBOUND_ALLOWLIST)`);
    this.name = 'OutboundAddressRefused';
  }
}

export interface AddressPolicy {
  /** Resolves `host` and returns the address to connect to, or throws OutboundAddressRefused. */
  resolve(host: string): Promise<string>;
}

type Resolver = (host: string) => Promise<string[]>;

const systemResolver: Resolver = async (host) => (await dns.lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export function createAddressPolicy(allowlist: string[], resolver: Resolver = systemResolver): AddressPolicy {
  const hosts = new Set(allowlist.filter((e) => !ipaddr.isValid(e) && !ipaddr.isValidCIDR(e)).map((e) => e.toLowerCase()));
  const ranges = allowlist.filter((e) => ipaddr.isValid(e) || ipaddr.isValidCIDR(e)).map(toRange);
  const allowedAddress = (addr: ipaddr.IPv4 | ipaddr.IPv6) =>
    ranges.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));

  return {
    async resolve(host: string): Promise<string> {
      const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
      const addresses = ipaddr.isValid(bare) ? [bare] : await resolver(bare);
      if (addresses.length === 0) throw new Error(`${host} did not resolve to any address`);
      if (hosts.has(bare)) return addresses[0]!;
      for (const a of addresses) {
        const addr = normalise(ipaddr.parse(a));
        const range = addr.range();
        if (range !== 'unicast' && !allowedAddress(addr)) throw new OutboundAddressRefused(host, a, range);
      }
      return addresses[0]!;
    },
  };
}

/** Parses the allowlist variable: comma-separated host names, IPs or CIDRs. */
export function parseAllowlist(raw: string | undefined): { entries: string[]; invalid: string[] } {
  const entries = (raw ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '');
  const invalid = entries.filter((e) => !ipaddr.isValid(e) && !ipaddr.isValidCIDR(e) && !/^[A-Za-z0-9.-]{1,253}$/.test(e));
  return { entries, invalid };
}

function toRange(entry: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  if (ipaddr.isValidCIDR(entry)) {
    const [net, bits] = ipaddr.parseCIDR(entry);
    return [normalise(net), net.kind() === 'ipv6' && normalise(net).kind() === 'ipv4' ? bits - 96 : bits];
  }
  const addr = normalise(ipaddr.parse(entry));
  return [addr, addr.kind() === 'ipv4' ? 32 : 128];
}

// ::ffff:10.0.0.1 is 10.0.0.1: judge IPv4-mapped addresses as IPv4.
function normalise(addr: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() ? (addr as ipaddr.IPv6).toIPv4Address() : addr;
}
