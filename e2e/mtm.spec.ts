// Masked token modeling in the page: pre-train with the MTO-style mask token in the worker, watch
// the masked-token view (mask, prediction, original), then fine-tune a classifier from that
// pre-training run on half of the labels. A tiny imported package keeps SwiftShader to seconds.
import { expect, test } from '@playwright/test';
import { chart, complaints, importTiny, knob, openPage, shortRun, trainButton } from './helpers';

test('pre-trains by masked token modeling, shows the masked-token view, and fine-tunes from it', async ({ page }) => {
  const problems = complaints(page);
  await openPage(page);
  await importTiny(page, 'tiny-mtm', { seed: 7, train: [200, 56], test: [40] });

  await page.getByLabel('preset').selectOption('mtm-quick');
  await shortRun(page, 8);
  await page.getByLabel('mask token').selectOption('mto-style');
  // Pre-training augments its batches as SeiT++ does; the tiny package ships no learned TokenAdapt, so its oracle.
  await expect(knob(page, 'augmentations')).toHaveValue('crop-ta');
  await page.getByLabel('TokenAdapt kind').selectOption('oracle');
  await trainButton(page).click();
  await expect(page.getByTestId('train-result')).toContainText('Test masked-token accuracy', { timeout: 120_000 });
  await expect(page.getByTestId('mtm-stats')).toContainText('mask ratio');
  // Layer 0 is recalibrated: visible tokens pay mask tokens no attention there.
  await expect(page.getByTestId('mtm-stats')).toContainText('0.00 / –');
  await expect(chart(page, 'MTO-style diagnostics')).toBeVisible();

  const view = page.getByTestId('mtm-view');
  await expect(view.getByTestId('mtm-preview-stats')).toContainText('tokens masked', { timeout: 60_000 });
  await expect(view.locator('canvas')).toHaveCount(3);
  const before = await view.getByTestId('mtm-preview-stats').textContent();
  // Compared as data URLs: repeated getImageData readbacks make Chrome warn in the console, which stays clean here.
  const pixels = () => view.locator('canvas').first().evaluate((c: HTMLCanvasElement) => c.toDataURL());
  const firstMask = await pixels();
  await view.getByRole('button', { name: 'New mask' }).click();
  await expect.poll(pixels, { timeout: 30_000 }).not.toBe(firstMask);
  expect(before).toMatch(/\d+ of 6 tokens masked/);
  await page.screenshot({ path: test.info().outputPath('mtm-view.png'), fullPage: true });

  await page.getByLabel('preset').selectOption('finetune-quick');
  await shortRun(page, 8);
  await page.getByLabel('labelled fraction').fill('0.5');
  await page.getByLabel('start from').selectOption({ label: 'mtm-quick+batch=8+mask-token=mto-style+token-adapt-kind=oracle seed1' });
  await trainButton(page).click();
  await expect(page.getByTestId('run-id')).toContainText('tiny-mtm/finetune-quick+batch=8+labels=0.5/seed1 from tiny-mtm/mtm-quick+batch=8+mask-token=mto-style+token-adapt-kind=oracle/seed1', { timeout: 60_000 });
  await expect(page.getByTestId('train-result')).toContainText('Test accuracy', { timeout: 120_000 });
  expect(problems).toEqual([]);
});
