// The barrier's public surface. Re-exports only; must never grow logic of its own.

export { Barrier } from './barrier.js';
export { sealWithKey, openWithKey } from './keyseal.js';
export { SealedStore, isTampered, type OpenedRecord, type TamperedRecord } from './sealed-store.js';
export { FORMAT_V1, SEAL_OVERHEAD } from './format.js';
