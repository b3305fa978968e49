// The page's cache of kernel tuning results (src/ops/matmul_tune.ts), per adapter, in IndexedDB.
import { createStore, get, set, type UseStore } from 'idb-keyval';
import type { TuneCache } from '../ops/matmul_tune';

let store: UseStore | undefined;
function tuning(): UseStore {
  store ??= createStore('tessera-tuning', 'kernels');
  return store;
}

export const browserTuneCache: TuneCache = {
  get: (key) => get<string>(key, tuning()),
  set: (key, value) => set(key, value, tuning()),
};
