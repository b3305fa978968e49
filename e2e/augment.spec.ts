// The augmentation lab in the page: one test image of a stored package through each token
// augmentation, run by the worker on the GPU (SwiftShader here), drawn beside the original; a new
// draw changes the random ones. The tiny package ships no TokenAdapt, so the learned one is left
// out and its oracle shown; then a run trains with the augmentations chosen in the recipe
// (e2e/compare.spec.ts compares recipes).
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { FEW_LABELS } from '../src/train/regime';
import { measured, type StudyRow } from '../src/ui/lessons';

import { chart, complaints, importTiny, knob, openPage, shortRun, trainButton } from './helpers';

const augmentStudy: { rows: StudyRow[] } = JSON.parse(readFileSync('docs/study/augment.json', 'utf8'));

test('the augmentation lab shows each augmentation of a test image', async ({ page }) => {
  const problems = complaints(page);
  await openPage(page);
  await importTiny(page, 'tiny-aug', { seed: 3, train: [150], test: [12] });

  const lab = page.getByTestId('augment-lab');
  await lab.getByRole('button', { name: 'Show augmentations' }).click();
  const pictures = lab.getByTestId('augment-pictures');
  // The original and nine augmentations (src/augment/lab.ts), less the learned TokenAdapt.
  await expect(pictures.locator('canvas')).toHaveCount(9, { timeout: 60_000 });
  for (const label of ['Original (decoded tokens)', 'CutMix', 'ColorAdapt', 'TokenAdapt oracle (decode, augment, re-tokenize)']) await expect(pictures.getByRole('img', { name: label })).toBeVisible();
  // Compared as data URLs: repeated getImageData readbacks make Chrome warn in the console, which stays clean here.
  const pixels = (name: string) => pictures.getByRole('img', { name }).evaluate((c: HTMLCanvasElement) => c.toDataURL());
  const original = await pixels('Original (decoded tokens)');
  expect(await pixels('Embedding noise')).not.toBe(original);
  const noise = await pixels('Embedding noise');
  await lab.getByRole('button', { name: 'New draw' }).click();
  await expect.poll(() => pixels('Embedding noise'), { timeout: 30_000 }).not.toBe(noise);
  expect(await pixels('Original (decoded tokens)')).toBe(original);
  await page.screenshot({ path: test.info().outputPath('augment-lab.png'), fullPage: true });

  // A run with SeiT's augmentations and TokenAdapt: the oracle trains; the learned one needs the
  // adapter this package does not ship, and says so.
  await shortRun(page, 4);
  await knob(page, 'augmentations').selectOption('seit-ta');
  await page.getByLabel('TokenAdapt kind').selectOption('learned');
  await trainButton(page).click();
  await expect(page.getByTestId('train-error')).toContainText('npm run build:tokenadapt', { timeout: 60_000 });
  await page.getByLabel('TokenAdapt kind').selectOption('oracle');
  await trainButton(page).click();
  await expect(page.getByTestId('run-id')).toContainText('tiny-aug/quick+batch=8+augment=seit-ta+token-adapt-kind=oracle/seed1');
  await expect(page.getByTestId('train-result')).toContainText('Test accuracy', { timeout: 120_000 });

  // The run's curves and its row; Reset clears them.
  const table = page.getByTestId('runs-table');
  await expect(table.locator('tbody tr')).toHaveCount(1);
  await expect(chart(page, 'Loss')).toBeVisible();
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(table).toHaveCount(0);
  await expect(chart(page, 'Loss')).toHaveCount(0);
  expect(problems).toEqual([]);
});

test('the recipe lives in the URL: a link sets it, changes are written back, bad keys are named', async ({ page }) => {
  await page.goto('/?v=1&preset=finetune-quick&steps=33&labels=0.05&augment=seit-ta&tokenAdapt=oracle');
  await expect(page.getByLabel('preset')).toHaveValue('finetune-quick');
  await expect(page.getByLabel('steps')).toHaveValue('33');
  await expect(page.getByLabel('labelled fraction')).toHaveValue('0.05');
  await expect(knob(page, 'augmentations')).toHaveValue('seit-ta');
  await expect(page.getByLabel('TokenAdapt kind')).toHaveValue('oracle');
  await page.getByLabel('steps').fill('40');
  await expect.poll(() => new URL(page.url()).searchParams.get('steps')).toBe('40');
  await knob(page, 'augmentations').selectOption('none');
  await expect.poll(() => new URL(page.url()).searchParams.has('augment')).toBe(false);
  // Model size and optimizer knobs: written to the URL; an impossible model is named and cannot start.
  await page.getByLabel('width', { exact: true }).fill('48');
  await page.getByLabel('learning rate').fill('0.002');
  await expect.poll(() => new URL(page.url()).searchParams.get('dim')).toBe('48');
  await expect.poll(() => new URL(page.url()).searchParams.get('lr')).toBe('0.002');
  await page.getByLabel('heads').fill('5');
  await expect(page.getByTestId('recipe-error')).toContainText('dim 48');
  await expect(trainButton(page)).toBeDisabled();
  await page.getByLabel('heads').fill('3');
  await expect(page.getByTestId('recipe-error')).toHaveCount(0);

  // A lesson sets the recipe (and so the URL) and says what to look at.
  await page.getByRole('group', { name: 'lessons' }).getByRole('button', { name: 'Does TokenAdapt help?' }).click();
  await expect(knob(page, 'augmentations')).toHaveValue('seit-ta');
  await expect(page.getByTestId('lesson-text')).toContainText('"Train and compare" under "Compare augmentations"');
  // Its expectations are the study's measured numbers, in the study's few-labels regime.
  await expect(page.getByTestId('lesson-text')).toContainText(`no augmentation ${measured(augmentStudy.rows, 'supervised', 'none')}`);
  await expect.poll(() => new URL(page.url()).searchParams.get('augment')).toBe('seit-ta');
  await expect.poll(() => new URL(page.url()).searchParams.get('labels')).toBe(String(FEW_LABELS.labels));
  await page.getByRole('group', { name: 'lessons' }).getByRole('button', { name: 'Does the mask token matter?' }).click();
  await expect(page.getByLabel('preset')).toHaveValue('mtm-quick');
  await expect(page.getByLabel('mask token')).toHaveValue('mto-style');
  await expect(knob(page, 'augmentations')).toHaveValue('crop-ta');
  await expect(page.getByTestId('lesson-text')).toContainText('npm run study -- mto');

  // A damaged or hostile link: each bad key is named and left out, the rest of the page works.
  await page.goto('/?v=1&preset=nope&steps=-2&lr=abc&labels=7&batch=1e9999&bogus=1');
  const ignored = page.getByTestId('url-ignored');
  await expect(ignored).toContainText('unknown preset "nope"; steps=-2');
  for (const key of ['lr=abc', 'labels=7', 'batch=1e9999', 'unknown key bogus']) await expect(ignored).toContainText(key);
  await expect(trainButton(page)).toBeVisible();
  await expect(page.getByLabel('preset')).toHaveValue('quick');
  expect(new URL(page.url()).search).toBe('');
});
