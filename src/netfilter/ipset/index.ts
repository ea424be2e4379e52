/** ipset: sets, their `ipset save` / `ipset restore` text, the per-namespace store, and `-m set` / `-j SET`. */
export { IpSet, SetOperationError, makeHeader, type SetHeader, type SetEntry, type EntryOptions } from './ip-set';
export { IpsetStore } from './ipset-store';
export { restoreIpsets, printIpsetSave, formatCreate, formatAdd, type IpsetRestoreOptions, type IpsetRestoreResult } from './ipset-text';
export { parseElements, formatElement, rangeToCidrs } from './element-text';
export { SET_TYPE_NAMES, setTypeSpec, type SetTypeName, type SetElement, type SetTypeSpec, type Dimension } from './set-types';
export { testPacket, addPacket, deletePacket, type SetTestOptions, type SetAddOptions, type SetOpContext, type CounterCondition } from './packet-ops';
export { SetMatch, setMatchModule, MissingSetError } from './set.match';
export { SetTarget, setTargetModule } from './set.target';
