import { selectorMatches } from '../resources/workload.strategy';
import { parseQuantity } from '../resources/quantity';
import { PersistentVolumeClaimSpec, PersistentVolumeSpec, PersistentVolumeStatus } from '../resources/storage.types';
import { KubeObject } from '../store/types';
import { matchesNodeSelectorTerms } from './node-selection';

/**
 * Which PersistentVolume a claim may bind to, as the PV controller and the
 * scheduler's VolumeBinding plugin decide it (component-helpers'
 * `FindMatchingVolume` over the PV controller's access-mode index): shared by
 * both so that they agree.
 */

export const claimSpec = (claim: KubeObject) => (claim.spec ?? {}) as PersistentVolumeClaimSpec;
export const volumeSpec = (pv: KubeObject) => (pv.spec ?? {}) as PersistentVolumeSpec;
export const volumePhase = (pv: KubeObject) => (pv.status as PersistentVolumeStatus | undefined)?.phase;

/** The class a claim asks for (`""`: none). */
export const claimClass = (claim: KubeObject) => claimSpec(claim).storageClassName ?? '';
export const volumeClass = (pv: KubeObject) => volumeSpec(pv).storageClassName ?? '';

export const requestedBytes = (claim: KubeObject) => parseQuantity(claimSpec(claim).resources?.requests?.storage) ?? 0;
export const capacityBytes = (pv: KubeObject) => parseQuantity(volumeSpec(pv).capacity?.storage) ?? 0;

/** `IsVolumeBoundToClaim`: the PV's claimRef names the claim (and, if it has a uid, the same one). */
export function isVolumeBoundToClaim(pv: KubeObject, claim: KubeObject): boolean {
  const ref = volumeSpec(pv).claimRef;
  if (!ref) return false;
  if (ref.name !== claim.metadata.name || (ref.namespace ?? '') !== (claim.metadata.namespace ?? '')) return false;
  return !ref.uid || ref.uid === claim.metadata.uid;
}

/** `CheckAccessModes`: the volume offers every mode the claim asks for. */
export function accessModesSatisfied(claim: KubeObject, pv: KubeObject): boolean {
  const offered = volumeSpec(pv).accessModes ?? [];
  return (claimSpec(claim).accessModes ?? []).every((m) => offered.includes(m));
}

export function volumeModeMismatch(claim: KubeObject, pv: KubeObject): boolean {
  return (claimSpec(claim).volumeMode ?? 'Filesystem') !== (volumeSpec(pv).volumeMode ?? 'Filesystem');
}

/** The volume's required node affinity admits the node (no affinity admits every node). */
export function volumeFitsNode(pv: KubeObject, node: KubeObject): boolean {
  const terms = volumeSpec(pv).nodeAffinity?.required?.nodeSelectorTerms;
  return !terms || matchesNodeSelectorTerms(terms, node);
}

/**
 * `checkVolumeSatisfyClaim`: why a volume the claim names (`volumeName`)
 * cannot serve it, in upstream's words, or undefined.
 */
export function volumeMismatch(pv: KubeObject, claim: KubeObject): string | undefined {
  if (capacityBytes(pv) < requestedBytes(claim)) return 'requested PV is too small';
  if (volumeClass(pv) !== claimClass(claim)) return 'storageClassName does not match';
  if (volumeModeMismatch(claim, pv)) return 'incompatible volumeMode';
  if (!accessModesSatisfied(claim, pv)) return 'incompatible accessMode';
  return undefined;
}

/**
 * The volume a claim binds to: one already pre-bound to it if it fits, else
 * the smallest Available volume of the claim's class whose labels match its
 * selector and that is big enough. Volumes are looked at by access-mode set,
 * the sets with fewest modes first, as the PV controller's index does. With
 * `node` (the scheduler's path) the volume must admit the node too; without
 * one, a claim whose binding waits for its first consumer binds only to a
 * volume pre-bound to it. Ties go to the first name.
 */
export function findMatchingVolume(
  claim: KubeObject,
  volumes: readonly KubeObject[],
  options: { node?: KubeObject; delayBinding: boolean; excluded?: ReadonlySet<string> },
): KubeObject | undefined {
  const wanted = claimSpec(claim).accessModes ?? [];
  const groups = new Map<string, KubeObject[]>();
  for (const pv of volumes) {
    const modes = [...new Set(volumeSpec(pv).accessModes ?? [])].sort();
    if (!wanted.every((m) => modes.includes(m))) continue;
    const key = modes.join(',');
    groups.set(key, [...(groups.get(key) ?? []), pv]);
  }
  const keys = [...groups.keys()].sort((a, b) => a.split(',').length - b.split(',').length || (a < b ? -1 : a > b ? 1 : 0));
  for (const key of keys) {
    const found = matchIn(claim, groups.get(key)!, options);
    if (found !== undefined) return found ?? undefined;
  }
  return undefined;
}

/** One access-mode group: the match, `null` when a pre-bound volume rules out any other, or undefined. */
function matchIn(
  claim: KubeObject,
  volumes: KubeObject[],
  options: { node?: KubeObject; delayBinding: boolean; excluded?: ReadonlySet<string> },
): KubeObject | null | undefined {
  const requested = requestedBytes(claim);
  const selector = claimSpec(claim).selector ?? undefined;
  let smallest: KubeObject | undefined;
  for (const pv of [...volumes].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
    if (options.excluded?.has(pv.metadata.name)) continue;
    const spec = volumeSpec(pv);
    if (spec.claimRef && !isVolumeBoundToClaim(pv, claim)) continue;
    if (capacityBytes(pv) < requested) continue;
    if (volumeModeMismatch(claim, pv)) continue;
    if (pv.metadata.deletionTimestamp) continue;
    const fitsNode = !options.node || volumeFitsNode(pv, options.node);
    if (isVolumeBoundToClaim(pv, claim)) return fitsNode ? pv : null;
    if (!options.node && options.delayBinding) continue;
    if (volumePhase(pv) !== 'Available') continue;
    if (selector && !selectorMatches(selector, pv.metadata.labels)) continue;
    if (volumeClass(pv) !== claimClass(claim)) continue;
    if (!fitsNode) continue;
    if (options.node && !accessModesSatisfied(claim, pv)) continue;
    if (!smallest || capacityBytes(smallest) > capacityBytes(pv)) smallest = pv;
  }
  return smallest;
}
