// Times the page's image import (decode, k-means on the GPU, tokenize, store) of a generated
// folder of 32x32 colour images with the default settings, and the command-line builder on the
// same folder. Prints one JSON line: {"bench":"import",…}. Run by `npm run bench -- import`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { SHAPES, writeColourShapes } from '../../tests/helpers/colour_shapes';
import { openPage } from '../../e2e/helpers';
import { IMPORT_FIT_IMAGES } from '../../src/data/image_import';

const IMAGES = Number(process.env.TESSERA_IMPORT_IMAGES ?? 10000);

test('import timing', async ({ page }) => {
  const root = mkdtempSync(join(tmpdir(), 'tessera-bench-import-'));
  try {
    const dir = join(root, 'shapes');
    writeColourShapes(dir, { perClass: Math.ceil(IMAGES / SHAPES.length), size: 32, seed: 1 });
    await openPage(page);
    await page.getByTestId('images-folder').setInputFiles(dir);
    const panel = page.getByTestId('import-images');
    await panel.getByTestId('import-start').click();
    const done = panel.getByTestId('import-done');
    await expect(done).toBeVisible({ timeout: 1_700_000 });
    const [, seconds, adapter] = (await done.innerText()).match(/Tokenized in ([\d.]+) s on (.+?) and stored/)!;
    const phases = Object.fromEntries((await done.getByTestId('import-phases').innerText()).split(' · ').map((p) => [p.split(':')[0], Number(p.match(/([\d.]+) s$/)![1])]));

    const t0 = performance.now();
    execFileSync('npx', ['vite-node', 'scripts/build-data.ts', '--', 'folder', dir, '--out', join(root, 'cli'), '--fit-images', String(IMPORT_FIT_IMAGES)], { stdio: 'pipe' });
    const cli = (performance.now() - t0) / 1000;
    console.log(JSON.stringify({ bench: 'import', images: SHAPES.length * Math.ceil(IMAGES / SHAPES.length), size: 32, K: 256, page_s: Number(seconds), page_phases_s: phases, page_adapter: adapter, cli_s: Number(cli.toFixed(1)) }));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
