/**
 * IPv4 addresses as unsigned 32-bit numbers: the one representation the hot
 * paths (rule matching, allocation bitmaps) use. Parsing is strict, as the
 * Kubernetes API server is since KEP-4858: four decimal octets, no leading
 * zeros, no hex or octal forms, no shorthand such as `127.1`.
 */

/**
 * Parses a dotted-quad IPv4 address; `undefined` when it is not one. With
 * `sloppy`, octets may carry leading zeros, read as decimal (never octal), as
 * Go's `netutils.ParseIPSloppy` reads them (kube-proxy does).
 */
export function tryParseIPv4(text: string, sloppy = false): number | undefined {
  // A hand-written scanner: this runs for every address in every rule and
  // every allocation, so no split() and no regular expressions.
  const length = text.length;
  if (length < 7 || (length > 15 && !sloppy)) return undefined;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0 && !sloppy) return undefined; // leading zero
      octet = octet * 10 + (c - 48);
      if (octet > 255) return undefined;
      digits++;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return (value * 256 + octet) >>> 0;
}

export function isIPv4(text: string): boolean {
  return tryParseIPv4(text) !== undefined;
}

export function formatIPv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** The network mask for a prefix length, as an unsigned number. */
export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export interface IPv4Cidr {
  /** The network address (host bits cleared). */
  network: number;
  prefix: number;
}

/**
 * Parses `a.b.c.d/n`. With `strict`, host bits must be zero (Kubernetes
 * rejects `192.168.0.5/24` as ambiguous); without it they are cleared, as
 * iptables does with `-s 10.0.0.1/24`.
 */
export function tryParseIPv4Cidr(text: string, strict = true): IPv4Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = tryParseIPv4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === undefined || !/^(0|[1-9][0-9]?)$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > 32) return undefined;
  const network = (address & prefixMask(prefix)) >>> 0;
  if (strict && network !== address) return undefined;
  return { network, prefix };
}

export function formatIPv4Cidr(cidr: IPv4Cidr): string {
  return `${formatIPv4(cidr.network)}/${cidr.prefix}`;
}

export function cidrContains(cidr: IPv4Cidr, address: number): boolean {
  return ((address & prefixMask(cidr.prefix)) >>> 0) === cidr.network;
}

/** Number of addresses in a prefix, network and broadcast included. */
export function cidrSize(prefix: number): number {
  return 2 ** (32 - prefix);
}
