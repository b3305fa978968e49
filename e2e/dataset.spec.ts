import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { encodeBundle } from '../src/formats/bundle';
import { packageFiles, parseManifest } from '../src/formats/manifest';
import { formatSize } from '../src/data/store';
import { tinyPackage } from '../tests/data/tiny-package';
import { openPage, trainButton } from './helpers';

const isPackageFile = (url: string) => /\.tshard$|codebook|\.tcb$|\.tta$/.test(new URL(url).pathname);

const SHIPPED = 'public/data/fashion-mnist';

test('a first visit loads the shipped package by itself with progress, and after a reload from IndexedDB without fetching a shard', async ({ page }, testInfo) => {
  const manifest = parseManifest(JSON.parse(readFileSync(`${SHIPPED}/manifest.json`, 'utf8')));
  const refs = packageFiles(manifest);
  const total = refs.reduce((n, r) => n + r.bytes, 0);
  const images = (manifest.splits.train.count + manifest.splits.test.count).toLocaleString('en-US');
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // The test shard arrives a second late, so the progress bar is seen part-way.
  const lastShard = '**/data/fashion-mnist/' + manifest.splits.test.shards.at(-1)!.file;
  await page.route(lastShard, async (route) => {
    await new Promise((r) => setTimeout(r, 1000));
    await route.continue();
  });
  await page.goto('/');

  await expect(page.getByTestId('package-fashion-mnist')).toContainText(`${images} images`);
  await expect(page.getByTestId('stored-empty')).toBeVisible();
  // Nobody presses Load: the download starts by itself, its progress in the Datasets panel and beside the Train button.
  const progress = page.getByTestId('dataset-progress');
  await expect(progress).toBeVisible();
  await expect(page.getByTestId('dataset-progress-text')).toContainText('Downloading');
  await expect(progress.getByRole('progressbar')).toHaveAttribute('aria-valuemax', String(total));
  await expect(page.getByTestId('dataset-status').getByRole('progressbar', { name: 'Loading the dataset' })).toHaveAttribute('max', String(total));
  await expect(trainButton(page)).toBeDisabled();

  const report = page.getByTestId('storage-report');
  await expect(report).toBeVisible();
  await expect(page.getByTestId('dataset-source')).toContainText('downloaded from the network');
  await expect(page.getByTestId('dataset-progress-text')).toContainText(`Done · ${formatSize(total)} of ${formatSize(total)} · ${images} of ${images} images`);
  await expect(report).toContainText('Raw pixels');
  await expect(report).toContainText('100.00%');
  await expect(page.getByTestId('storage-psnr')).toContainText(`PSNR ${manifest.storage.psnrDb.toFixed(2)} dB`);
  // A row of decoded test images per class, paged.
  const gallery = page.getByTestId('dataset-gallery');
  const rows = gallery.getByRole('img');
  await expect(rows).toHaveCount(manifest.classes.length);
  await expect(rows.first()).toHaveAccessibleName(new RegExp(`^${manifest.classes[0].replace(/[/]/g, '\\/')}: test images`));
  const firstRow = await rows.first().getAttribute('aria-label');
  const inked = await rows.first().evaluate((c: HTMLCanvasElement) => c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data.some((v, i) => i % 4 !== 3 && v > 0));
  expect(inked).toBe(true);
  await gallery.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByTestId('gallery-page')).toContainText('page 2 of');
  await expect(rows.first()).not.toHaveAccessibleName(firstRow!);
  await expect(page.getByTestId('stored-fashion-mnist')).toBeVisible();
  expect(requests.filter(isPackageFile).length).toBe(refs.length);
  // Then training is one click away, on the adapter's preset: quick, as SwiftShader is a software adapter.
  await expect(page.getByTestId('dataset-status')).toContainText('Fashion-MNIST: 60,000 training and 10,000 test images, ready.');
  await expect(page.getByLabel('preset')).toHaveValue('quick');
  await expect(trainButton(page)).toBeEnabled();
  console.log(`[dataset] network load: ${await page.getByTestId('dataset-decode-time').textContent()}`);
  console.log(`[dataset] storage report: ${(await report.innerText()).replace(/\s*\n\s*/g, ' | ')}`);
  await testInfo.attach('loaded', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

  await page.unroute(lastShard);
  requests.length = 0;
  await page.reload();
  await expect(page.getByTestId('package-fashion-mnist')).toContainText('stored, loads without downloading');
  await expect(page.getByTestId('dataset-source')).toContainText('from IndexedDB (no download)');
  await expect(page.getByTestId('storage-report')).toBeVisible();
  console.log(`[dataset] IndexedDB load: ${await page.getByTestId('dataset-decode-time').textContent()}`);
  expect(requests.filter(isPackageFile)).toEqual([]);
  expect(requests.some((u) => u.endsWith('/data/fashion-mnist/manifest.json'))).toBe(true);
  expect(errors).toEqual([]);
});

test('imports a .tessera bundle by file input and by drop, rejects a damaged one, and deletes', async ({ page }) => {
  const p = tinyPackage({ name: 'tiny-e2e', title: 'Tiny E2E', seed: 3 });
  const bundle = encodeBundle(p.manifest, p.files);
  await openPage(page);

  await page.getByTestId('dataset-file').setInputFiles({ name: 'tiny.tessera', mimeType: 'application/octet-stream', buffer: Buffer.from(bundle) });
  await expect(page.getByTestId('dataset-source')).toContainText('Tiny E2E');
  await expect(page.getByTestId('dataset-source')).toContainText('imported from a bundle');
  await expect(page.getByTestId('stored-tiny-e2e')).toContainText('imported from tiny.tessera');

  const bad = bundle.slice();
  bad[bad.length >> 1] ^= 1;
  await page.getByTestId('dataset-file').setInputFiles({ name: 'bad.tessera', mimeType: 'application/octet-stream', buffer: Buffer.from(bad) });
  const error = page.getByTestId('dataset-error');
  await expect(error).toContainText('bad.tessera: CRC-32 mismatch');
  await expect(error).toContainText('Nothing stored was changed.');
  await expect(page.getByTestId('stored-tiny-e2e')).toBeVisible();

  // A newer version of the same dataset, dropped on the zone, replaces the stored one.
  const v2 = tinyPackage({ name: 'tiny-e2e', title: 'Tiny E2E', seed: 4 });
  const dropped = await page.evaluateHandle((bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], 'tiny-v2.tessera'));
    return dt;
  }, Array.from(encodeBundle(v2.manifest, v2.files)));
  await page.getByTestId('dataset-drop').dispatchEvent('drop', { dataTransfer: dropped });
  await expect(page.getByTestId('dataset-error')).toHaveCount(0);
  await expect(page.getByTestId('stored-tiny-e2e')).toContainText('v4');
  await expect(page.getByTestId('stored-tiny-e2e')).toContainText('imported from tiny-v2.tessera');

  await page.getByTestId('delete-tiny-e2e').click();
  await expect(page.getByTestId('stored-tiny-e2e')).toHaveCount(0);
  // Only that one: the shipped package the page loaded stays.
  await expect(page.getByTestId('stored-fashion-mnist')).toBeVisible();
});
