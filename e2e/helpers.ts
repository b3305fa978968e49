// What the browser tests share: opening the page (the shipped dataset loads by itself first),
// importing a tiny package, the points a chart plots, what the page complains about, and what
// axe-core finds.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Locator, type Page } from '@playwright/test';
import { encodeBundle } from '../src/formats/bundle';
import { tinyPackage } from '../tests/data/tiny-package';

/** Opens the page and waits for the shipped package, which loads by itself: until then the page takes no other dataset. */
export async function openPage(page: Page, path = '/'): Promise<void> {
  await page.goto(path);
  await shippedLoaded(page);
}

/** Waits for the shipped package, which the page loads by itself on every visit. */
export async function shippedLoaded(page: Page): Promise<void> {
  await expect(page.getByTestId('dataset-status')).toContainText('Fashion-MNIST', { timeout: 60_000 });
}

/** Imports a tiny package as a .tessera bundle; it becomes the dataset Train reads. */
export async function importTiny(page: Page, name: string, opts: { seed: number; train: number[]; test: number[] }): Promise<void> {
  const p = tinyPackage({ name, title: name, ...opts });
  await page.getByTestId('dataset-file').setInputFiles({ name: `${name}.tessera`, mimeType: 'application/octet-stream', buffer: Buffer.from(encodeBundle(p.manifest, p.files)) });
  await expect(page.getByTestId(`stored-${name}`)).toBeVisible();
  await expect(page.getByTestId('dataset-status')).toContainText(`${name}:`);
}

/**
 * A short run at a small batch: SwiftShader's time goes by the image (a step of 128 takes seconds,
 * one of 8 a tenth of that), and what the page does with a run is the same at any batch.
 */
export async function shortRun(page: Page, steps: number, opts: { testEvery?: number; batch?: number } = {}): Promise<void> {
  await page.getByLabel('steps').fill(String(steps));
  await page.getByLabel('batch', { exact: true }).fill(String(opts.batch ?? 8));
  if (opts.testEvery !== undefined) await page.getByLabel('test every').fill(String(opts.testEvery));
}

/** Serves the training worker's script with `prelude` run first: how a test reaches into the worker's globals. */
export async function workerPrelude(page: Page, prelude: string): Promise<void> {
  await page.route('**/assets/worker-*.js', async (route) => {
    const original = await route.fetch();
    await route.fulfill({ response: original, body: prelude + (await original.text()) });
  });
}

/** The dataset store's keys of a snapshot (storedSnapshot), the checkpoints' left out. */
export const datasetKeys = (snapshot: Record<string, string>): string[] => Object.keys(snapshot).filter((k) => k.startsWith('tessera:'));

/** The Train button (exact: a lesson's title has the word too). */
export const trainButton = (page: Page): Locator => page.getByRole('button', { name: 'Train', exact: true });

/** A knob of the recipe column by its label: the comparison view's checkboxes name augmentations too. */
export const knob = (page: Page, label: string): Locator => page.getByRole('complementary', { name: 'Recipe' }).getByLabel(label);

/** A chart by its title. */
export const chart = (page: Page, title: string): Locator => page.getByRole('figure', { name: title, exact: true });

/** How many points each series of a chart plots, by legend label. */
export async function plotted(figure: Locator): Promise<Record<string, number>> {
  return JSON.parse((await figure.getAttribute('data-points')) ?? '{}');
}

/** Collects uncaught errors, and console errors and warnings, from here on. */
export function complaints(page: Page): string[] {
  const out: string[] = [];
  page.on('pageerror', (e) => out.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') out.push(`${m.type()}: ${m.text()} (${m.location().url})`);
  });
  return out;
}

/** axe-core's serious and critical violations on the page as it is, each with the elements it was found on. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * Every entry of the page's IndexedDB stores (datasets and checkpoints) as key → SHA-256 of its
 * bytes (or of its JSON): equal snapshots mean nothing stored changed and nothing half-written
 * was left behind.
 */
export async function storedSnapshot(page: Page): Promise<Record<string, string>> {
  return page.evaluate(async () => {
    const out: Record<string, string> = {};
    const hex = async (data: BufferSource) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', data)), (b) => b.toString(16).padStart(2, '0')).join('');
    for (const [name, store] of [['tessera', 'datasets'], ['tessera-checkpoints', 'runs']]) {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open(name);
        r.onupgradeneeded = () => r.result.createObjectStore(store); // as idb-keyval would
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      const entries = await new Promise<[IDBValidKey, unknown][]>((resolve, reject) => {
        const found: [IDBValidKey, unknown][] = [];
        const cursor = db.transaction(store).objectStore(store).openCursor();
        cursor.onsuccess = () => {
          const c = cursor.result;
          if (!c) return resolve(found);
          found.push([c.key, c.value]);
          c.continue();
        };
        cursor.onerror = () => reject(cursor.error);
      });
      db.close();
      for (const [key, value] of entries) out[`${name}:${JSON.stringify(key)}`] = await hex((value instanceof Uint8Array ? value : new TextEncoder().encode(JSON.stringify(value))) as Uint8Array<ArrayBuffer>);
    }
    return out;
  });
}
