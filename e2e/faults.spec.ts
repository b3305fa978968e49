// What a user does to a page that the unit tests cannot: damaged or foreign files dropped on it,
// a package download cut off part-way, a full disk. Each gets a message naming the problem, and
// every byte stored before (datasets and checkpoints, compared as SHA-256 of each IndexedDB entry)
// is the same after, and after a reload: nothing changed, nothing half-written left behind.
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { encodeBundle, frameBundle, manifestBytes } from '../src/formats/bundle';
import { tinyPackage } from '../tests/data/tiny-package';
import { datasetKeys, importTiny, openPage, shippedLoaded, shortRun, storedSnapshot, trainButton, workerPrelude } from './helpers';

const SHIPPED = '**/data/fashion-mnist/';
const flip = (bytes: Uint8Array, at: number) => {
  const out = bytes.slice();
  out[at] ^= 0x10;
  return out;
};
/** The same checkpoint with one metadata value replaced by another of the same length (the header's size stays). */
const withMetadata = (bytes: Uint8Array, from: string, to: string) => {
  const text = Buffer.from(bytes).toString('latin1');
  expect(text.indexOf(from)).toBeGreaterThan(0);
  return Buffer.from(text.replace(from, to), 'latin1');
};

async function upload(page: Page, testId: string, name: string, bytes: Uint8Array): Promise<void> {
  await page.getByTestId(testId).setInputFiles({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
}

test('damaged bundles and checkpoints are refused by name, and what was stored stays byte for byte', async ({ page }) => {
  await openPage(page);
  await importTiny(page, 'tiny-faults', { seed: 3, train: [40], test: [8] });
  await shortRun(page, 4);
  await trainButton(page).click();
  await expect(page.getByTestId('train-result')).toContainText('Test accuracy', { timeout: 60_000 });
  const checkpoints = page.getByTestId('checkpoints');
  const pending = page.waitForEvent('download');
  await checkpoints.getByRole('button', { name: 'download tiny-faults/quick+batch=8/seed1' }).click();
  const checkpoint = new Uint8Array(readFileSync((await (await pending).path())!));
  const before = await storedSnapshot(page);

  // A newer version of the stored dataset: whole, it would replace it.
  const next = tinyPackage({ name: 'tiny-faults', title: 'tiny-faults', seed: 4, train: [40], test: [8] });
  const other = tinyPackage({ name: 'other', title: 'other', seed: 9, train: [40], test: [8] });
  const bundle = encodeBundle(next.manifest, next.files);
  const bundles: [string, Uint8Array, string][] = [
    ['empty.tessera', new Uint8Array(0), 'only 0 bytes, less than any bundle'],
    ['cut-in-header.tessera', bundle.slice(0, 10), 'only 10 bytes, less than any bundle'],
    ['half.tessera', bundle.slice(0, bundle.length >> 1), `${bundle.length >> 1} of its ${bundle.length} bytes are present (incomplete download?)`],
    ['last-byte-missing.tessera', bundle.slice(0, -1), `${bundle.length - 1} of its ${bundle.length} bytes are present`],
    ['bit-flip.tessera', flip(bundle, bundle.length - 40), 'CRC-32 mismatch'],
    ['a-zip.tessera', Uint8Array.from([0x50, 0x4b, 3, 4, ...bundle.slice(4)]), 'not a Tessera bundle (it does not start with "TSBN")'],
    // Sealed whole, but its train shard is another package's: the manifest's size and CRC catch it.
    ['foreign-shard.tessera', frameBundle([['manifest.json', manifestBytes(next.manifest)], ...Object.keys(next.files).map((f): [string, Uint8Array] => [f, f === 'train-000.tshard' ? other.files[f] : next.files[f]])]), 'train-000.tshard'],
    ['future.tessera', frameBundle([['manifest.json', manifestBytes({ ...next.manifest, formatVersion: 9 })], ...Object.entries(next.files)]), 'format version 9 is newer than this Tessera'],
  ];
  const error = page.getByTestId('dataset-error');
  for (const [name, bytes, why] of bundles) {
    await upload(page, 'dataset-file', name, bytes);
    await expect(error).toContainText(name);
    await expect(error).toContainText(why);
    await expect(error).toContainText('Nothing stored was changed.');
    expect(await storedSnapshot(page), name).toEqual(before);
  }

  const message = checkpoints.getByTestId('checkpoint-message');
  const random = Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24);
  const damaged: [string, Uint8Array, string][] = [
    ['random.safetensors', random, 'random.safetensors was not stored'],
    ['half.safetensors', checkpoint.slice(0, checkpoint.length >> 1), 'half.safetensors was not stored'],
    ['future.safetensors', withMetadata(checkpoint, '"version":"1"', '"version":"7"'), 'checkpoint version 7 is not supported (made by a newer Tessera: update this one to read it)'],
    ['wider.safetensors', withMetadata(checkpoint, '\\"dim\\":64', '\\"dim\\":96'), 'checkpoint was made for a different model'],
  ];
  for (const [name, bytes, why] of damaged) {
    await upload(page, 'checkpoint-file', name, bytes);
    await expect(message).toContainText(`${name} was not stored`);
    await expect(message).toContainText(why);
    expect(await storedSnapshot(page), name).toEqual(before);
  }
  // Another dataset's model: the tiny run's checkpoint offered to Fashion-MNIST (other codes, classes and grid).
  await page.getByTestId('stored-fashion-mnist').getByRole('button', { name: 'Load', exact: true }).click();
  await expect(page.getByTestId('dataset-status')).toContainText('Fashion-MNIST');
  await upload(page, 'checkpoint-file', 'tiny-run.safetensors', checkpoint);
  await expect(message).toContainText('tiny-run.safetensors was not stored: checkpoint was made for a different model');
  expect(await storedSnapshot(page)).toEqual(before);

  await page.reload();
  await shippedLoaded(page);
  expect(await storedSnapshot(page)).toEqual(before);
});

test('a package download cut off at any file, or served short, leaves nothing half-written, and a reload loads it', async ({ page }) => {
  const cases: [string, (route: import('@playwright/test').Route) => Promise<void>, string][] = [
    ['manifest.json', (r) => r.abort('connectionreset'), 'manifest.json (Failed to fetch) and no copy of this dataset is stored'],
    ['codebook.tcb', (r) => r.abort('connectionreset'), 'Downloading codebook.tcb failed'],
    ['train-001.tshard', (r) => r.abort('internetdisconnected'), 'Downloading train-001.tshard failed'],
    ['test-000.tshard', async (r) => r.fulfill({ response: await r.fetch(), body: (await (await r.fetch()).body()).subarray(0, 5000) }), 'test-000.tshard is truncated: 5000 of'],
  ];
  await page.goto('/');
  for (const [file, cut, why] of cases) {
    await page.route(SHIPPED + file, cut);
    await page.reload();
    await expect(page.getByTestId('dataset-error'), file).toContainText(why, { timeout: 60_000 });
    expect(datasetKeys(await storedSnapshot(page)), file).toEqual([]);
    await page.unroute(SHIPPED + file);
  }
  await page.reload();
  await shippedLoaded(page);
  const stored = await storedSnapshot(page);
  expect(datasetKeys(stored)).toHaveLength(1 + 6); // the record and its six files

  // A new version of the stored package that breaks off: the stored one is used, unchanged.
  await page.route(SHIPPED + 'manifest.json', async (r) => {
    const manifest = await (await r.fetch()).json();
    await r.fulfill({ json: { ...manifest, version: `${manifest.version}-next` } });
  });
  await page.route(SHIPPED + 'train-002.tshard', (r) => r.abort('connectionreset'));
  await page.reload();
  await shippedLoaded(page);
  await expect(page.getByTestId('dataset-warning')).toContainText('Downloading train-002.tshard failed');
  await expect(page.getByTestId('dataset-warning')).toContainText('Training uses the stored copy of version');
  expect(await storedSnapshot(page)).toEqual(stored);
});

/**
 * A full disk, as the page and its worker meet it once `self.__diskFull` is set: every IndexedDB put
 * fails with QuotaExceededError, and the storage estimate leaves 100 kB. (Chromium's DevTools quota
 * override, Storage.overrideQuotaForOrigin, changed neither writes nor estimates in this Chromium.)
 */
const DISK_FULL = `(() => {
  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (...args) {
    if (self.__diskFull) throw new DOMException('the disk is full (simulated)', 'QuotaExceededError');
    return put.apply(this, args);
  };
  const estimate = StorageManager.prototype.estimate;
  StorageManager.prototype.estimate = async function () {
    const e = await estimate.call(this);
    return self.__diskFull ? { ...e, quota: (e.usage ?? 0) + 100000 } : e;
  };
})();
`;

test('a full disk: a package or checkpoint that does not fit is named, training goes on, and what was stored stays', async ({ page }) => {
  await page.addInitScript(DISK_FULL);
  await workerPrelude(page, DISK_FULL);
  await openPage(page);
  await importTiny(page, 'tiny-quota', { seed: 3, train: [40], test: [8] });
  await shortRun(page, 4);
  await trainButton(page).click();
  await expect(page.getByTestId('train-result')).toContainText('Test accuracy', { timeout: 60_000 });
  const before = await storedSnapshot(page);

  // The disk fills up.
  const full = () => ((self as unknown as { __diskFull: boolean }).__diskFull = true);
  await page.evaluate(full);
  for (const worker of page.workers()) await worker.evaluate(full);

  // A new run (another seed): its checkpoint is not saved, the page says so, and training goes on.
  await shortRun(page, 8);
  await page.getByLabel('seed', { exact: true }).fill('2');
  await trainButton(page).click();
  await expect(page.getByTestId('train-result')).toContainText('Test accuracy', { timeout: 60_000 });
  await expect(page.getByTestId('checkpoint-warning')).toContainText('The checkpoint at step 8 was not saved: Not enough browser storage to keep the checkpoint of tiny-quota/quick+batch=8/seed2: it needs');
  await expect(page.getByTestId('checkpoint-warning')).toContainText('Resume would start from the last checkpoint stored');
  expect(await storedSnapshot(page)).toEqual(before);

  // A package too big for what is left loads for this session only, with the reason, and trains from the page's copy.
  const big = tinyPackage({ name: 'tiny-big', title: 'tiny-big', seed: 5, train: [60000], test: [8] });
  await upload(page, 'dataset-file', 'big.tessera', encodeBundle(big.manifest, big.files));
  await expect(page.getByTestId('dataset-warning')).toContainText('Not enough browser storage to keep tiny-big (version v5): it needs');
  await expect(page.getByTestId('dataset-warning')).toContainText('but only 100 kB is available');
  await expect(page.getByTestId('dataset-status')).toContainText('tiny-big:');
  expect(await storedSnapshot(page)).toEqual(before);
  await shortRun(page, 2);
  await trainButton(page).click();
  await expect(page.getByTestId('train-result')).toContainText('Test accuracy', { timeout: 60_000 });
  expect(await storedSnapshot(page)).toEqual(before);
});
