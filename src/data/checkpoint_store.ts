// Checkpoints in the browser: IndexedDB through idb-keyval, one entry per run, written in one
// put so a failed write (quota) leaves the previous checkpoint in place.
import { createStore, del, get, keys, set, type UseStore } from 'idb-keyval';
import { announceChange } from './store_events';

let store: UseStore | undefined;
function checkpoints(): UseStore {
  store ??= createStore('tessera-checkpoints', 'runs');
  return store;
}

export async function saveCheckpoint(runId: string, bytes: Uint8Array): Promise<void> {
  await set(runId, bytes, checkpoints());
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
