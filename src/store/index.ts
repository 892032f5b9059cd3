// The cluster store's public surface: the interface and its engines. Imports nothing in src/ but
// store/; must never grow logic of its own (it only re-exports).

export { VersionConflictError } from './store.js';
export type { ChangeEvent, ClusterStore, StoredRecord } from './store.js';
export { MemoryStore, type MemoryStoreOptions } from './memory.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite.js';
export {
  EtcdStore,
  StoreHistoryCompactedError,
  StoreUnavailableError,
  type EtcdStoreOptions,
} from './etcd.js';
