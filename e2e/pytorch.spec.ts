// A checkpoint trained in PyTorch (python/tessera_tokens/train.py under torchrun) uploaded in the
// page: it is stored under the run it belongs to, Resume scores it on the test split, and the
// attention view draws its weights. PyTorch trains on the same tiny package the page imports, a
// few seconds' work on either side.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { tinyPackage } from '../tests/data/tiny-package';
import { tempDir, torchrun } from '../tests/python/python';
import { complaints, importTiny, openPage } from './helpers';

const TINY = { seed: 5, train: [200, 56], test: [40] };
const STEPS = 10;

test('a checkpoint trained by torchrun uploads, evaluates, and its attention view draws', async ({ page }) => {
  // PyTorch's start-up and training, then the page's: past the default 90 s on a loaded 2-core machine.
  test.slow();
  const problems = complaints(page);
  const dir = tempDir('e2e-torch');
  const data = join(dir, 'tiny-torch');
  const p = tinyPackage({ name: 'tiny-torch', title: 'tiny-torch', ...TINY });
  mkdirSync(data);
  writeFileSync(join(data, 'manifest.json'), JSON.stringify(p.manifest));
  for (const [name, bytes] of Object.entries(p.files)) writeFileSync(join(data, name), bytes);
  const checkpoint = join(dir, 'quick.ckpt');
  const trained = torchrun(1, ['--data', data, '--steps', String(STEPS), '--checkpoint', checkpoint], 120_000);

  await openPage(page);
  await importTiny(page, 'tiny-torch', TINY);
  await trained;
  const checkpoints = page.getByTestId('checkpoints');
  await checkpoints.getByTestId('checkpoint-file').setInputFiles(checkpoint);
  await expect(checkpoints.getByTestId('checkpoint-message')).toContainText(`as tiny-torch/quick/seed1 (step ${STEPS} of ${STEPS})`);

  // Resume at its last step only tests it: the page's result, on PyTorch's weights.
  await page.getByLabel('steps').fill(String(STEPS));
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('train-result')).toContainText('Test accuracy', { timeout: 120_000 });

  const view = page.getByTestId('attention-view');
  await expect(view.getByRole('img', { name: 'attention heat map: attention rollout' })).toBeVisible({ timeout: 60_000 });
  await expect(view.getByTestId('attention-step')).toHaveAttribute('data-step', String(STEPS));
  await expect(view.getByTestId('class-probs')).toContainText('%');
  await view.getByRole('combobox', { name: /^layer/ }).selectOption('1');
  await view.getByRole('combobox', { name: /^head/ }).selectOption('3');
  const head = view.getByRole('img', { name: 'attention heat map: layer 1, head 3' });
  await expect(head).toBeVisible();
  // One weight per cell of the 2x3 grid, not all alike: PyTorch's attention, drawn.
  const weights = (await head.getAttribute('data-weights'))!.split(' ').map(Number);
  expect(weights).toHaveLength(6);
  expect(new Set(weights).size).toBeGreaterThan(1);
  await page.screenshot({ path: test.info().outputPath('pytorch-checkpoint.png'), fullPage: true });
  expect(problems).toEqual([]);
});
