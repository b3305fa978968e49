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
