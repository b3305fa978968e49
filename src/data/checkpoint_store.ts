// Checkpoints in the browser: IndexedDB through idb-keyval, one entry per run, written in one
// put so a failed write (quota) leaves the previous checkpoint in place.
import { createStore, del, get, keys, set, type UseStore } from 'idb-keyval';
import { announceChange } from './store_events';
import { isQuotaError, StorageQuotaError } from './store';

let store: UseStore | undefined;
function checkpoints(): UseStore {
  store ??= createStore('tessera-checkpoints', 'runs');
  return store;
}

/** Stores a run's checkpoint in one put: on failure the one stored before stays, and a full disk says so. */
export async function saveCheckpoint(runId: string, bytes: Uint8Array): Promise<void> {
  try {
    await set(runId, bytes, checkpoints());
  } catch (e) {
    if (isQuotaError(e)) throw new StorageQuotaError(bytes.length, undefined, `the checkpoint of ${runId}`, 'The checkpoint stored before, if any, is kept; deleting stored datasets or checkpoints frees space.');
    throw e;
  }
  announceChange('checkpoints');
}

export async function loadCheckpoint(runId: string): Promise<Uint8Array | undefined> {
  return get<Uint8Array>(runId, checkpoints());
}

export async function deleteCheckpoint(runId: string): Promise<void> {
  await del(runId, checkpoints());
  announceChange('checkpoints');
}

/** Run ids of every stored checkpoint. */
export async function listCheckpoints(): Promise<string[]> {
  return (await keys(checkpoints())).map(String);
}
