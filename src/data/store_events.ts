// Tabs of one browser profile share IndexedDB. A change one tab (or its worker) makes to the stored
// datasets or checkpoints is announced on a BroadcastChannel, so every other tab's lists stay true
// without polling. The stores stay safe without it (src/data/store.ts); this keeps the pages honest.

export type StoreChange = 'datasets' | 'checkpoints';

const CHANNEL = 'tessera-store';

/** Tells every other context of this origin that `what` changed. */
export function announceChange(what: StoreChange): void {
  if (typeof BroadcastChannel === 'undefined') return;
  const channel = new BroadcastChannel(CHANNEL);
  channel.postMessage(what);
  channel.close();
}

/** Calls `listener` with each change another context announces; returns the unsubscribe. */
export function onStoreChange(listener: (what: StoreChange) => void): () => void {
  if (typeof BroadcastChannel === 'undefined') return () => undefined;
  const channel = new BroadcastChannel(CHANNEL);
  channel.onmessage = (ev: MessageEvent<StoreChange>) => listener(ev.data);
  return () => channel.close();
}
