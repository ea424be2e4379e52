/**
 * The dual-stack forms of the range flags: `--service-cluster-ip-range` as
 * kube-apiserver reads it and `--cluster-cidr` with the node mask sizes as
 * kube-controller-manager reads them. One CIDR per family, at most two, the
 * first one the cluster's primary family; errors with the components' texts.
 *
 * `ip-num` is used here, at the edge, to tell which family an entry claims to
 * be; our own strict parser (`parseCidr`) then reads it (see docs/ipam.md).
 */
import { Validator } from 'ip-num';
import { DomainError } from '../common/domain-error';
import { parseCidr, tryParseCidr } from './ip-address';
import { IpFamily } from './types';

/** One entry of a CIDR list, with its family. */
export interface FamilyCidr {
  family: IpFamily;
  /** The entry as given (trimmed). */
  cidr: string;
}

function familyOfEntry(text: string): IpFamily | undefined {
  if (Validator.isValidIPv4CidrNotation(text)[0]) return 'IPv4';
  if (Validator.isValidIPv6CidrNotation(text)[0]) return 'IPv6';
  // ip-num refuses some forms Go accepts (an IPv4-mapped tail); ours decides then.
  const cidr = tryParseCidr(text);
  return cidr && cidr !== 'host-bits-set' ? cidr.family : undefined;
}

function invalid(message: string): DomainError {
  return new DomainError('INVALID', message);
}

/**
 * `--service-cluster-ip-range`: one or two CIDRs of different families. The
 * size limits (/12, /108) are the allocator's and are checked when it is built.
 */
export function parseServiceCidrs(list: string): FamilyCidr[] {
  const entries = list.split(',').map((e) => e.trim());
  const cidrs: FamilyCidr[] = [];
  for (const [i, entry] of entries.slice(0, 2).entries()) {
    const family = familyOfEntry(entry);
    if (family === undefined) {
      // A CIDR with host bits set gets our strict parser's "canonical form" text.
      if (tryParseCidr(entry) === 'host-bits-set') parseCidr(entry);
      throw invalid(i === 0 ? 'service-cluster-ip-range[0] is not a valid cidr' : 'service-cluster-ip-range[1] is not an ip net');
    }
    parseCidr(entry);
    cidrs.push({ family, cidr: entry });
  }
  if (entries.length > 2) throw invalid('--service-cluster-ip-range must not contain more than two entries');
  if (cidrs.length === 2 && cidrs[0].family === cidrs[1].family) {
    throw invalid('--service-cluster-ip-range[0] and --service-cluster-ip-range[1] must be of different IP family');
  }
  return cidrs;
}

/** `--cluster-cidr`: one or two CIDRs, one per family (kube-controller-manager's `validateCIDRs`). */
export function parseClusterCidrs(list: string): FamilyCidr[] {
  const cidrs = list.split(',').map((entry) => {
    const text = entry.trim();
    const family = familyOfEntry(text);
    if (family === undefined) parseCidr(text); // throws, saying what is wrong with it
    parseCidr(text);
    return { family: family as IpFamily, cidr: text };
  });
  const dualStack = cidrs.some((c) => c.family === 'IPv4') && cidrs.some((c) => c.family === 'IPv6');
  if (cidrs.length > 1 && !dualStack) {
    throw invalid(
      `len of ClusterCIDRs==${cidrs.length} and they are not configured as dual stack (at least one from each IPFamily`,
    );
  }
  if (cidrs.length > 2) throw invalid(`length of clusterCIDRs is:${cidrs.length} more than max allowed of 2`);
  return cidrs;
}

/** The node mask flags as given: each absent when not set. */
export interface NodeMaskFlags {
  /** `--node-cidr-mask-size` (single-stack only). */
  any?: number;
  /** `--node-cidr-mask-size-ipv4`. */
  ipv4?: number;
  /** `--node-cidr-mask-size-ipv6`. */
  ipv6?: number;
}

export const DEFAULT_NODE_MASK: Record<IpFamily, number> = { IPv4: 24, IPv6: 64 };

/**
 * The node mask size of each cluster CIDR, in the same order, as
 * kube-controller-manager's `setNodeCIDRMaskSizes` decides them.
 */
export function nodeMaskSizes(clusterCidrs: FamilyCidr[], flags: NodeMaskFlags): number[] {
  const masks = { ...DEFAULT_NODE_MASK };
  const sized = () => clusterCidrs.map((c) => masks[c.family]);
  if (clusterCidrs.length > 1) {
    if (flags.any !== undefined) throw invalid('usage of --node-cidr-mask-size is not allowed with dual-stack clusters');
    if (flags.ipv4 !== undefined) masks.IPv4 = flags.ipv4;
    if (flags.ipv6 !== undefined) masks.IPv6 = flags.ipv6;
    return sized();
  }
  const singleStackIPv6 = clusterCidrs[0]?.family === 'IPv6';
  if (flags.any !== undefined) {
    if (flags.ipv4 !== undefined || flags.ipv6 !== undefined) {
      throw invalid(
        'usage of --node-cidr-mask-size-ipv4 and --node-cidr-mask-size-ipv6 is not allowed if --node-cidr-mask-size is set. For dual-stack clusters please unset it and use IPFamily specific flags',
      );
    }
    masks.IPv4 = masks.IPv6 = flags.any;
    return sized();
  }
  if (flags.ipv4 !== undefined) {
    if (singleStackIPv6) throw invalid('usage of --node-cidr-mask-size-ipv4 is not allowed for a single-stack IPv6 cluster');
    masks.IPv4 = flags.ipv4;
  }
  if (flags.ipv6 !== undefined) {
    if (!singleStackIPv6) throw invalid('usage of --node-cidr-mask-size-ipv6 is not allowed for a single-stack IPv4 cluster');
    masks.IPv6 = flags.ipv6;
  }
  return sized();
}
