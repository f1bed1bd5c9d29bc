// The outbound address policy for calls that scripts and targets make to user-supplied URLs.
// The host name is resolved first and every resolved address is checked, so a public name that
// points at an internal address is refused too (SSRF). Only global unicast addresses pass,
// unless the allowlist (CADENZA_OUTBOUND_ALLOWLIST: host names, IPs or CIDRs) names them.
// Names resolve through c-ares (DNS over the network, off libuv's small thread pool, so slow
// names of one tenant cannot hold the threads others need), within DNS_TIMEOUT_MS and
// cancelled with the caller's signal; a name DNS does not know falls back to the system
// lookup (the hosts file), within what is left of that time.
import dns from 'node:dns';
import ipaddr from 'ipaddr.js';

export const DNS_TIMEOUT_MS = 5_000;

/** The message says only that the address is not allowed; `address` and `range` are for the logs. */
export class OutboundAddressRefused extends Error {
  constructor(readonly host: string, readonly address: string, readonly range: string) {
    super(`outbound call to ${host} refused: its address is not allowed (allow it with CADENZA_OUTBOUND_ALLOWLIST)`);
    this.name = 'OutboundAddressRefused';
  }
}

export interface AddressPolicy {
  /** Resolves `host` and returns the address to connect to, or throws OutboundAddressRefused. */
  resolve(host: string, signal?: AbortSignal): Promise<string>;
}

type Resolver = (host: string, signal: AbortSignal) => Promise<string[]>;

const systemResolver: Resolver = async (host, signal) => {
  const resolver = new dns.promises.Resolver({ timeout: DNS_TIMEOUT_MS, tries: 1 });
  const cancel = () => resolver.cancel();
  signal.addEventListener('abort', cancel, { once: true });
  try {
    const answers = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
    const found = answers.flatMap((a) => (a.status === 'fulfilled' ? a.value : []));
    if (found.length > 0) return found;
    signal.throwIfAborted();
    const unknown = answers.every((a) => a.status === 'rejected' && ['ENOTFOUND', 'ENODATA'].includes((a.reason as { code?: string }).code ?? ''));
    if (!unknown) throw new Error(`${host} could not be resolved`);
    return (await abortable(dns.promises.lookup(host, { all: true, verbatim: true }), signal)).map((a) => a.address);
  } finally {
    signal.removeEventListener('abort', cancel);
  }
};

/** The system lookup cannot be cancelled: stop waiting for it. */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const stop = () => reject(signal.reason instanceof Error ? signal.reason : new Error('the lookup was cancelled'));
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}

export function createAddressPolicy(allowlist: string[], resolver: Resolver = systemResolver): AddressPolicy {
  const hosts = new Set(allowlist.filter((e) => !ipaddr.isValid(e) && !ipaddr.isValidCIDR(e)).map((e) => e.toLowerCase()));
  const ranges = allowlist.filter((e) => ipaddr.isValid(e) || ipaddr.isValidCIDR(e)).map(toRange);
  const allowedAddress = (addr: ipaddr.IPv4 | ipaddr.IPv6) =>
    ranges.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));

  return {
    async resolve(host: string, signal?: AbortSignal): Promise<string> {
      const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
      const deadline = AbortSignal.timeout(DNS_TIMEOUT_MS);
      const addresses = ipaddr.isValid(bare) ? [bare] : await resolver(bare, signal ? AbortSignal.any([signal, deadline]) : deadline);
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

// ::ffff:10.0.0.1 (IPv4-mapped) and ::10.0.0.1 (IPv4-compatible, ::/96 but :: and ::1) are
// 10.0.0.1: judge them as IPv4.
function normalise(addr: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  if (addr.kind() === 'ipv4') return addr;
  const v6 = addr as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  const parts = v6.parts;
  const compatible = parts.slice(0, 6).every((p) => p === 0) && (parts[6] !== 0 || parts[7]! > 1);
  return compatible ? ipaddr.IPv4.parse(`${parts[6]! >> 8}.${parts[6]! & 255}.${parts[7]! >> 8}.${parts[7]! & 255}`) : v6;
}
