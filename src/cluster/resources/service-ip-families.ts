/**
 * A Service's IP families, as kube-apiserver decides them: `ipFamilyPolicy`
 * (SingleStack, PreferDualStack, RequireDualStack), `ipFamilies` and
 * `clusterIPs` kept in the same order, defaulted from the cluster's
 * configured families (the `--service-cluster-ip-range` entries, the primary
 * first), with the API server's field paths and texts for each refusal.
 *
 * Upstream, this is the registry's `initIPFamilyFields` (run before any
 * address is allocated) and the validation of the fields that go together
 * (`ValidateServiceClusterIPsRelatedFields`, and on update the
 * upgrade/downgrade rules).
 */
import { tryParseIp } from '../../ipam/ip-address';
import { IpFamily } from '../../ipam/types';
import { FieldErrors } from '../validation/field-errors';
import { ServiceSpec } from './service.types';

export const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'] as const;
const IP_FAMILIES: readonly IpFamily[] = ['IPv4', 'IPv6'];
const VALID_IP = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

function familyOf(ip: string): IpFamily | undefined {
  return tryParseIp(ip)?.family;
}

function other(family: IpFamily): IpFamily {
  return family === 'IPv4' ? 'IPv6' : 'IPv4';
}

export function isHeadless(spec: ServiceSpec): boolean {
  return spec.clusterIPs?.length === 1 && spec.clusterIPs[0] === 'None';
}

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Keeps `clusterIP` and `clusterIPs` in step before anyone reads them (the
 * registry's `normalizeClusterIPs`): an old client's `clusterIP` alone becomes
 * the list; an update that clears or changes `clusterIP` and leaves the list as
 * it was clears or replaces the list.
 */
export function normalizeClusterIPs(spec: ServiceSpec, old: ServiceSpec | undefined): void {
  if (old === undefined) {
    if (spec.clusterIP && !spec.clusterIPs?.length) spec.clusterIPs = [spec.clusterIP];
    return;
  }
  if (old.clusterIPs?.length && !spec.clusterIPs?.length && (old.clusterIP ?? '') === (spec.clusterIP ?? '')) {
    spec.clusterIPs = old.clusterIPs;
  }
  if ((old.clusterIP ?? '') !== (spec.clusterIP ?? '')) {
    if (old.clusterIP && !spec.clusterIP) {
      if (sameList(old.clusterIPs, spec.clusterIPs)) delete spec.clusterIPs;
    } else if (sameList(old.clusterIPs, spec.clusterIPs)) {
      spec.clusterIPs = [spec.clusterIP as string];
    }
  }
}

/** `ValidateServiceClusterIPsRelatedFields`: the fields checked together, ExternalName aside. */
export function validateClusterIPsRelatedFields(spec: ServiceSpec, errors: FieldErrors): void {
  if (spec.type === 'ExternalName') return;
  const clusterIPs = spec.clusterIPs ?? [];
  if (spec.clusterIP) {
    if (clusterIPs.length === 0) errors.required('spec.clusterIPs');
    else if (clusterIPs[0] !== spec.clusterIP) errors.invalid('spec.clusterIPs', clusterIPs, 'first value must match `clusterIP`');
  } else if (clusterIPs.length) {
    errors.invalid('spec.clusterIPs', clusterIPs, 'must be empty when `clusterIP` is not specified');
  }

  const seen = new Set<string>();
  (spec.ipFamilies ?? []).forEach((family, i) => {
    if (!IP_FAMILIES.includes(family as IpFamily)) errors.notSupported(`spec.ipFamilies[${i}]`, family, IP_FAMILIES);
    if (seen.has(family)) errors.duplicate(`spec.ipFamilies[${i}]`, family);
    seen.add(family);
  });
  if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) {
    if (!(IP_FAMILY_POLICIES as readonly string[]).includes(spec.ipFamilyPolicy)) {
      errors.notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, IP_FAMILY_POLICIES);
    }
  }

  let invalidIPs = false;
  clusterIPs.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (clusterIPs.length > 1) {
        invalidIPs = true;
        errors.invalid('spec.clusterIPs', clusterIPs, "'None' must be the first and only value");
      }
      return;
    }
    if (typeof ip !== 'string' || familyOf(ip) === undefined) {
      invalidIPs = true;
      errors.invalid(`spec.clusterIPs[${i}]`, ip, VALID_IP);
    }
  });
  if (clusterIPs.length > 2) errors.invalid('spec.clusterIPs', clusterIPs, 'may only hold up to 2 values');
  if (invalidIPs) return;

  if (clusterIPs.length > 1) {
    const families = new Set(clusterIPs.map(familyOf));
    if (families.size !== 2) errors.invalid('spec.clusterIPs', clusterIPs, 'may specify no more than one IP for each IP family');
  }
  const ipFamilies = spec.ipFamilies ?? [];
  if (!isHeadless(spec) && clusterIPs.length && ipFamilies.length) {
    clusterIPs.forEach((ip, i) => {
      if (i >= ipFamilies.length) return;
      const family = familyOf(ip);
      if (ipFamilies[i] === 'IPv4' && family === 'IPv6') {
        errors.invalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``);
      }
      if (ipFamilies[i] === 'IPv6' && family !== 'IPv6') {
        errors.invalid(`spec.clusterIPs[${i}]`, ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``);
      }
    });
  }
}

/**
 * The registry's `initIPFamilyFields`: defaults `ipFamilyPolicy` and
 * `ipFamilies` from the request, the old object and the cluster's families,
 * and refuses the combinations the cluster cannot serve. ExternalName
 * Services have none of these fields. `errors` collects the refusals; the
 * fields are filled in only when there are none.
 */
export function initIPFamilyFields(spec: ServiceSpec, old: ServiceSpec | undefined, clusterFamilies: IpFamily[], errors: FieldErrors): void {
  if (spec.type === 'ExternalName') return;
  if (matchesPreferDualStack(spec, old)) return;

  if (spec.ipFamilyPolicy === undefined || spec.ipFamilyPolicy === null) {
    if (old?.ipFamilyPolicy) spec.ipFamilyPolicy = old.ipFamilyPolicy;
    else if (spec.clusterIP === 'None' && !hasSelector(spec)) spec.ipFamilyPolicy = 'RequireDualStack';
    else spec.ipFamilyPolicy = 'SingleStack';
  }

  validateClusterIPsRelatedFields(spec, errors);
  if (!errors.empty) return;

  const policy = spec.ipFamilyPolicy;
  if (old !== undefined) {
    if (policy === 'SingleStack') {
      // With the addresses and families as they were, SingleStack is clear intent: keep the primary.
      if (sameList(old.clusterIPs, spec.clusterIPs) && (spec.clusterIPs?.length ?? 0) > 1) spec.clusterIPs = spec.clusterIPs!.slice(0, 1);
      if (sameList(old.ipFamilies, spec.ipFamilies) && (spec.ipFamilies?.length ?? 0) > 1) spec.ipFamilies = spec.ipFamilies!.slice(0, 1);
    } else {
      if ((spec.clusterIPs?.length ?? 0) < (old.clusterIPs?.length ?? 0)) {
        errors.invalid('spec.ipFamilyPolicy', policy, "must be 'SingleStack' to release the secondary cluster IP");
      }
      if ((spec.ipFamilies?.length ?? 0) < (old.ipFamilies?.length ?? 0)) {
        errors.invalid('spec.ipFamilyPolicy', policy, "must be 'SingleStack' to release the secondary IP family");
      }
    }
  }

  if (policy === 'SingleStack') {
    if (spec.clusterIPs?.length === 2) {
      errors.invalid('spec.ipFamilyPolicy', policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified");
    }
    if (spec.ipFamilies?.length === 2) {
      errors.invalid('spec.ipFamilyPolicy', policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified");
    }
  }

  // Families follow the addresses given for them.
  const families = [...(spec.ipFamilies ?? [])] as IpFamily[];
  for (const [i, ip] of (spec.clusterIPs ?? []).entries()) {
    if (ip === 'None') break;
    const family = familyOf(ip) as IpFamily;
    if (i >= families.length) {
      if (!clusterFamilies.includes(family)) {
        errors.invalid(`spec.clusterIPs[${i}]`, spec.clusterIPs, `${family} is not configured on this cluster`);
      } else {
        families.push(family);
      }
    }
  }
  if (!errors.empty) return;
  spec.ipFamilies = families;

  // Headless without a selector: may name families the cluster does not have.
  if (spec.clusterIP === 'None' && !hasSelector(spec)) {
    if (families.length === 0) families.push(clusterFamilies[0]);
    if (families.length < 2 && policy !== 'SingleStack') families.push(other(families[0]));
    spec.ipFamilies = families;
    return;
  }

  if (policy === 'RequireDualStack' && clusterFamilies.length < 2) {
    errors.invalid('spec.ipFamilyPolicy', policy, 'this cluster is not configured for dual-stack services');
  }
  families.forEach((family, i) => {
    if (!clusterFamilies.includes(family)) errors.invalid(`spec.ipFamilies[${i}]`, family, 'not configured on this cluster');
  });
  if (!errors.empty) return;

  if (families.length === 0) families.push(clusterFamilies[0]);
  if (policy !== 'SingleStack' && families.length === 1 && clusterFamilies.length === 2) families.push(other(families[0]));
  spec.ipFamilies = families;
}

function hasSelector(spec: ServiceSpec): boolean {
  return !!spec.selector && Object.keys(spec.selector).length > 0;
}

/**
 * A PreferDualStack Service updated with its addresses and families as they
 * were is neither upgraded nor downgraded when the cluster's families change.
 */
export function matchesPreferDualStack(spec: ServiceSpec, old: ServiceSpec | undefined): boolean {
  if (old === undefined || !spec.ipFamilyPolicy) return false;
  if ((old.type ?? 'ClusterIP') !== (spec.type ?? 'ClusterIP') || spec.type === 'ExternalName') return false;
  if (spec.ipFamilyPolicy !== 'PreferDualStack') return false;
  if (old.ipFamilyPolicy && old.ipFamilyPolicy !== 'PreferDualStack') return false;
  return sameList(old.clusterIPs, spec.clusterIPs) && sameList(old.ipFamilies, spec.ipFamilies);
}

/** The update-only rules for adding or dropping a secondary address or family. */
export function validateUpgradeDowngrade(old: ServiceSpec, spec: ServiceSpec, errors: FieldErrors): void {
  if (spec.type === 'ExternalName' || old.type === 'ExternalName') return;
  const oldHeadless = isHeadless(old);
  const newHeadless = isHeadless(spec);
  const oldIPs = old.clusterIPs ?? [];
  const newIPs = spec.clusterIPs ?? [];
  if (!(oldHeadless && newHeadless)) {
    if (oldIPs.length === newIPs.length) {
      oldIPs.forEach((ip, i) => {
        if (ip !== newIPs[i]) errors.invalid(`spec.clusterIPs[${i}]`, newIPs, 'may not change once set');
      });
    } else if (oldIPs.length > newIPs.length) {
      if (newIPs.length === 0) errors.invalid('spec.clusterIPs[0]', newIPs, 'primary clusterIP can not be unset');
      if (oldIPs.length && newIPs.length && newIPs[0] !== oldIPs[0]) errors.invalid('spec.clusterIPs[0]', newIPs, 'may not change once set');
      if (newIPs.length === 1 && spec.ipFamilyPolicy !== 'SingleStack') {
        errors.invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary clusterIP");
      }
    } else if (oldIPs.length && newIPs[0] !== oldIPs[0]) {
      errors.invalid('spec.clusterIPs[0]', newIPs, 'may not change once set');
    }
  }

  if (oldHeadless !== newHeadless || newHeadless) return;
  const oldFamilies = old.ipFamilies ?? [];
  const newFamilies = spec.ipFamilies ?? [];
  if (oldFamilies.length === newFamilies.length) {
    oldFamilies.forEach((family, i) => {
      if (family !== newFamilies[i]) errors.invalid('spec.ipFamilies[0]', newFamilies, 'may not change once set');
    });
  } else if (oldFamilies.length > newFamilies.length) {
    if (newIPs.length === 0) errors.invalid('spec.ipFamilies[0]', newFamilies, 'primary ipFamily can not be unset');
    if (newFamilies.length && newFamilies[0] !== oldFamilies[0]) errors.invalid('spec.ipFamilies[0]', newIPs, 'may not change once set');
    if (newFamilies.length === 1 && spec.ipFamilyPolicy !== 'SingleStack') {
      errors.invalid('spec.ipFamilyPolicy', spec.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary ipFamily");
    }
  } else if (oldFamilies.length && newFamilies.length && newFamilies[0] !== oldFamilies[0]) {
    errors.invalid('spec.ipFamilies[0]', newIPs, 'may not change once set');
  }
}
