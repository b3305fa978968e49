// The user's own images in the page: a generated folder of colour shapes (tests/helpers/
// colour_shapes.ts) picked as a folder, tokenized on the GPU (SwiftShader) in a worker with
// progress, stored, trained on, shown in the gallery and the augmentation lab, kept after a
// reload; its token ids equal the command-line builder's for the same folder and seed. Bad input
// (an empty folder, one class, a 20,000 x 20,000 image, a non-image named .png, Cancel) gives a
// message and leaves the stored datasets as they were.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeflate } from 'node:zlib';
import { expect, test, type Page } from '@playwright/test';
import { decodeBundle } from '../src/formats/bundle';
import { decodeShard } from '../src/formats/shard';
import { crc32 } from '../src/formats/crc';
import { writeColourShapes } from '../tests/helpers/colour_shapes';
import { complaints, openPage, shortRun, trainButton } from './helpers';

const root = mkdtempSync(join(tmpdir(), 'tessera-import-'));
test.afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The stored datasets as the page lists them (name, version, size): what must not change. */
const storedList = (page: Page) => page.getByTestId('stored-list').innerText();

test('a colour image folder is tokenized in the page, stored, trained on and viewed; the CLI makes the same ids', async ({ page }) => {
  test.slow();
  const problems = complaints(page);
  const dir = join(root, 'shapes');
  writeColourShapes(dir, { perClass: 30, size: 32, seed: 7 });
  await openPage(page);

  await page.getByTestId('images-folder').setInputFiles(dir);
  const panel = page.getByTestId('import-images');
  await expect(panel.getByTestId('import-summary')).toContainText('120 images');
  await expect(panel.getByTestId('import-classes').getByRole('row')).toHaveCount(4);
  await expect(panel.getByRole('img', { name: 'disc 1' })).toBeVisible();
  await panel.getByLabel('Codebook size K').selectOption('64');
  await panel.getByTestId('import-start').click();
  await expect(panel.getByTestId('import-progress-text')).toContainText(/Decoding|Fitting|Tokenizing/);
  await expect(panel.getByTestId('import-done')).toContainText('stored as shapes', { timeout: 120_000 });
  await expect(page.getByTestId('stored-shapes')).toContainText('tokenized here from shapes');
  await expect(page.getByTestId('dataset-source')).toContainText('tokenized in this browser from your images');
  await expect(page.getByTestId('dataset-active')).toContainText('32×32×3 → 8×8 tokens of 4×4 patches, K = 64');
  await expect(page.getByTestId('storage-psnr')).toContainText('PSNR');
  await expect(page.getByTestId('dataset-gallery').locator('canvas')).toHaveCount(4);
  await page.getByTestId('datasets-panel').screenshot({ path: test.info().outputPath('imported.png') });

  // The same folder and seed through the command-line builder (Dawn on lavapipe): the same ids.
  const download = page.waitForEvent('download');
  await page.getByTestId('download-shapes').click();
  const bundlePath = join(root, 'page.tessera');
  await (await download).saveAs(bundlePath);
  const inPage = decodeBundle(new Uint8Array(readFileSync(bundlePath)));
  const cliOut = join(root, 'cli');
  execFileSync('npx', ['vite-node', 'scripts/build-data.ts', '--', 'folder', dir, '--out', cliOut, '--K', '64', '--seed', '0', '--fit-images', '1000', '--bundle'], { stdio: 'pipe' });
  const fromCli = decodeBundle(new Uint8Array(readFileSync(join(cliOut, 'shapes.tessera'))));
  // Every shard's ids and labels, and the codebook, compared as CRC-32s (the shards' bytes differ:
  // the page's deflate level is not the CLI's).
  for (const split of ['train', 'test'] as const) {
    const refs = (p: typeof inPage) => p.manifest.splits[split].shards;
    expect(refs(inPage).map((r) => r.count)).toEqual(refs(fromCli).map((r) => r.count));
    for (const [i, r] of refs(inPage).entries()) {
      const [a, b] = await Promise.all([decodeShard(inPage.files[r.file]), decodeShard(fromCli.files[refs(fromCli)[i].file])]);
      expect(crc32(a.labels)).toBe(crc32(b.labels));
      expect(crc32(new Uint8Array(a.tokens.buffer, a.tokens.byteOffset, a.tokens.byteLength))).toBe(crc32(new Uint8Array(b.tokens.buffer, b.tokens.byteOffset, b.tokens.byteLength)));
    }
  }
  expect(inPage.files['codebook.tcb']).toEqual(fromCli.files['codebook.tcb']);

  // ColorAdapt on colour: the lab draws it beside the original.
  const lab = page.getByTestId('augment-lab');
  await lab.getByRole('button', { name: 'Show augmentations' }).click();
  await expect(lab.getByTestId('augment-pictures').getByRole('img', { name: 'ColorAdapt' })).toBeVisible({ timeout: 60_000 });
  // A few steps of training on it.
  await shortRun(page, 10);
  await trainButton(page).click();
  await expect(page.getByTestId('train-result')).toContainText('Test accuracy', { timeout: 180_000 });
  await page.screenshot({ path: test.info().outputPath('import.png'), fullPage: true });

  // After a reload the package is still stored.
  await page.reload();
  await expect(page.getByTestId('stored-shapes')).toBeVisible({ timeout: 60_000 });
  expect(problems).toEqual([]);
});

/** A real 20,000 x 20,000 gray PNG (all black, so it compresses to a few hundred kB), written a row at a time. */
async function hugePng(file: string): Promise<void> {
  const side = 20000;
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit gray
  const deflate = createDeflate({ level: 1 });
  const parts: Buffer[] = [];
  deflate.on('data', (d: Buffer) => parts.push(d));
  const done = new Promise((resolve) => deflate.on('end', resolve));
  const row = Buffer.alloc(side + 1);
  for (let y = 0; y < side; y++) deflate.write(row);
  deflate.end();
  await done;
  writeFileSync(file, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', Buffer.concat(parts)), chunk('IEND', Buffer.alloc(0))]));
}

test('bad image folders and Cancel give a message and leave the stored datasets as they were', async ({ page }) => {
  test.slow();
  await openPage(page);
  const before = await storedList(page);
  const panel = page.getByTestId('import-images');

  const empty = join(root, 'empty');
  mkdirSync(join(empty, 'a'), { recursive: true });
  writeFileSync(join(empty, 'a', 'readme.txt'), 'no images here');
  await page.getByTestId('images-folder').setInputFiles(empty);
  await expect(panel.getByTestId('import-error')).toContainText('no images among the 1 files');
  await expect(panel.getByTestId('import-start')).toBeDisabled();

  // Loose files dropped on the page are labelled by name: all "cat" is one class.
  const dropped = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    for (const n of ['cat_1.png', 'cat_2.png']) dt.items.add(new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], n, { type: 'image/png' }));
    return dt;
  });
  await page.getByTestId('dataset-drop').dispatchEvent('drop', { dataTransfer: dropped });
  await expect(panel.getByTestId('import-error')).toContainText('only one class ("cat")');

  // A 20,000 x 20,000 image and a web page named .png: both refused by their headers, undecoded.
  const bad = join(root, 'bad');
  mkdirSync(join(bad, 'huge'), { recursive: true });
  mkdirSync(join(bad, 'fake'), { recursive: true });
  await hugePng(join(bad, 'huge', 'big.png'));
  writeFileSync(join(bad, 'fake', 'page.png'), '<!doctype html><title>not an image</title>');
  await page.getByTestId('images-folder').setInputFiles(bad);
  await panel.getByTestId('import-start').click();
  await expect(panel.getByTestId('import-failed')).toContainText('no class has readable images');
  await expect(panel.getByTestId('import-failed')).toContainText('huge/big.png: 20000x20000 is over the 50-megapixel limit');
  await expect(panel.getByTestId('import-failed')).toContainText('fake/page.png: not a PNG, JPEG or WebP image');
  await expect(panel.getByTestId('import-failed')).toContainText('Nothing stored was changed.');

  // Cancel mid-way: a larger folder, stopped while it is being tokenized.
  const many = join(root, 'many');
  writeColourShapes(many, { perClass: 300, size: 32, seed: 1 });
  await page.getByTestId('images-folder').setInputFiles(many);
  await panel.getByTestId('import-start').click();
  await expect(panel.getByTestId('import-progress-text')).toContainText('Decoding', { timeout: 30_000 });
  await panel.getByTestId('import-cancel').click();
  await expect(panel.getByTestId('import-cancelled')).toContainText('Nothing was stored');

  expect(await storedList(page)).toBe(before);
  await page.reload();
  await expect(page.getByTestId('stored-list')).toBeVisible();
  expect(await storedList(page)).toBe(before);
});
