// Training in the page: the Web Worker trains on a stored dataset while the page stays responsive,
// pauses to an IndexedDB checkpoint and resumes, shows attention, downloads and uploads its
// checkpoint, resumes after a reload; a dataset missing from IndexedDB gives a message.
// A tiny imported package keeps SwiftShader's share of the work to seconds.
import { expect, test, type Page } from '@playwright/test';
import { chart, complaints, importTiny as importPackage, openPage, plotted, shippedLoaded, shortRun, trainButton, workerPrelude } from './helpers';

const importTiny = (page: Page, name: string) => importPackage(page, name, { seed: 5, train: [200, 56], test: [40] });

/** Presses Space with nothing focused: the page's own shortcut, not a control's. */
async function pressSpace(page: Page): Promise<void> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press('Space');
}

test('trains in a worker, pauses to a checkpoint, resumes and evaluates', async ({ page }) => {
  // Three runs of training and the shipped package loaded twice (the first visit and the reload):
  // past the default 90 s on a loaded 2-core machine.
  test.slow();
  // Loading, training, a reload and a resume, without an error or a warning in the console.
  const problems = complaints(page);
  await openPage(page);
  await importTiny(page, 'tiny-train');

  await shortRun(page, 30, { testEvery: 10 });
  await trainButton(page).click();
  // Metrics come at steps 1, 2, 4, 8 and 16, then every 20: pause at step 8's, which takes effect
  // (and checkpoints) at a later report before the end.
  await expect(page.getByTestId('train-stats')).toContainText('step 8', { timeout: 120_000 });
  await expect(page.getByTestId('train-stats')).toContainText('img/s · ETA');
  // Space pauses (the Pause button is the lost-device test's).
  await pressSpace(page);
  await expect(page.getByTestId('train-status')).toContainText('paused at step', { timeout: 120_000 });
  await expect(page.getByTestId('train-stats')).toContainText('checkpoint @');
  // The attention view of the paused weights: a heat map over the image and class probabilities.
  const view = page.getByTestId('attention-view');
  const heat = view.getByRole('img', { name: 'attention heat map: attention rollout' });
  await expect(heat).toBeVisible({ timeout: 60_000 });
  await expect(view.getByTestId('class-probs')).toContainText('%');
  await view.getByRole('combobox', { name: /^layer/ }).selectOption('1');
  await view.getByRole('combobox', { name: /^head/ }).selectOption('0');
  const head = view.getByRole('img', { name: 'attention heat map: layer 1, head 0' });
  const weights = () => head.getAttribute('data-weights');
  const pausedAt = (await page.getByTestId('train-status').textContent())!.match(/paused at step (\d+)/)![1];
  await expect(view.getByTestId('attention-step')).toHaveAttribute('data-step', pausedAt);
  const atPause = await weights();
  expect(atPause!.split(' ')).toHaveLength(6);

  // Space typed into a field is typing: the run stays paused.
  await page.getByLabel('test every').press('Space');
  await page.waitForTimeout(500);
  await expect(page.getByTestId('train-status')).toContainText('paused at step');
  // Space resumes; while the worker trains, the page's own thread stays free.
  await pressSpace(page);
  await expect(page.getByTestId('train-status')).not.toContainText('paused at step');
  const t0 = Date.now();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
  expect(Date.now() - t0).toBeLessThan(1000);

  await expect(page.getByTestId('train-result')).toContainText('Test accuracy', { timeout: 120_000 });
  await expect(page.getByTestId('train-stats')).toContainText('step 30');
  await expect(page.locator('figure.chart')).toHaveCount(4);
  // Test points at steps 10 and 20 (the head of the test split) and the final test, dashed beside the training curve.
  const accuracy = chart(page, 'Accuracy');
  const testPoints = async () => (await plotted(accuracy))['#1 test'];
  await expect.poll(testPoints).toBe(3);
  await expect(accuracy.locator('.u-legend')).toContainText('#1 test');
  await expect(accuracy.locator('.u-legend')).toContainText('#1 train');
  await expect(chart(page, 'Loss')).toContainText('log scale');
  await expect(page.getByTestId('runs-table')).toContainText('%');
  // More steps of training move the attention.
  await expect(view.getByTestId('attention-step')).toHaveAttribute('data-step', '30', { timeout: 30_000 });
  expect(await weights()).not.toBe(atPause);
  await expect(chart(page, 'Learning rate')).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('trained.png'), fullPage: true });

  // The checkpoint downloads as a safetensors file.
  const checkpoints = page.getByTestId('checkpoints');
  const pending = page.waitForEvent('download');
  await checkpoints.getByRole('button', { name: 'download tiny-train/quick+batch=8/seed1' }).click();
  const download = await pending;
  expect(download.suggestedFilename()).toBe('tiny-train_quick_batch_8_seed1.safetensors');
  const file = await download.path();

  // After a reload the stored run resumes, here to more steps.
  await page.reload();
  await shippedLoaded(page);
  await page.getByTestId('stored-tiny-train').getByRole('button', { name: 'Load', exact: true }).click();
  await expect(page.getByTestId('dataset-status')).toContainText('tiny-train:');
  await page.getByLabel('steps').fill('40');
  await expect(page.getByRole('button', { name: 'Resume' })).toBeEnabled();
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('train-stats')).toContainText('step 40', { timeout: 120_000 });
  await expect(page.getByTestId('train-result')).toContainText('Test accuracy', { timeout: 120_000 });
  // The resumed run's curves came back from the checkpoint: its test points and the new final one.
  await expect.poll(testPoints).toBe(4);
  // Step trains exactly one more batch from the checkpoint.
  await page.getByRole('button', { name: 'Step' }).click();
  await expect(page.getByTestId('train-stats')).toContainText('step 41', { timeout: 120_000 });
  await expect(page.getByTestId('train-status')).toContainText('finished', { timeout: 120_000 });

  // Delete it, then upload the downloaded file: it is checked and stored under its run again. A
  // file that is not a checkpoint is refused and changes nothing.
  await checkpoints.getByRole('button', { name: 'delete tiny-train/quick+batch=8/seed1' }).click();
  await expect(checkpoints.getByText('None yet')).toBeVisible();
  await checkpoints.getByTestId('checkpoint-file').setInputFiles({ name: 'junk.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a checkpoint') });
  await expect(checkpoints.getByTestId('checkpoint-message')).toContainText('junk.safetensors was not stored');
  await expect(checkpoints.getByText('None yet')).toBeVisible();
  await checkpoints.getByTestId('checkpoint-file').setInputFiles(file);
  await expect(checkpoints.getByTestId('checkpoint-message')).toContainText('as tiny-train/quick+batch=8/seed1 (step 30 of 30)');
  await expect(checkpoints.getByRole('button', { name: 'download tiny-train/quick+batch=8/seed1' })).toBeVisible();
  expect(problems).toEqual([]);
});

test('a dataset missing from IndexedDB stops training with a message, not a crash', async ({ page }) => {
  await openPage(page);
  await importTiny(page, 'tiny-gone');
  await page.getByTestId('delete-tiny-gone').click();
  await expect(page.getByTestId('stored-tiny-gone')).toHaveCount(0);
  await trainButton(page).click();
  await expect(page.getByTestId('train-error')).toContainText('No dataset named "tiny-gone" is stored', { timeout: 60_000 });
});

test('a lost GPU device stops training with a banner, keeps everything, and Resume continues on a new device', async ({ page }) => {
  // Three stretches of training on SwiftShader: past 90 s when the machine is busy.
  test.slow();
  // The worker's script is served with a prelude that keeps each GPUDevice it asks for, so the test
  // can destroy them: what a GPU process crash or driver reset does to a page's devices.
  await workerPrelude(
    page,
    'const __request = GPUAdapter.prototype.requestDevice;' +
      'GPUAdapter.prototype.requestDevice = async function (...args) { const d = await __request.apply(this, args); (self.__devices ??= []).push(d); return d; };\n',
  );
  await openPage(page);
  await importTiny(page, 'tiny-lost');
  await shortRun(page, 400);
  await trainButton(page).click();
  // The pause takes effect at the report after step 8's (16, or 20 on a slow click).
  await expect(page.getByTestId('train-stats')).toContainText('step 8', { timeout: 120_000 });
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('train-status')).toContainText('paused at step', { timeout: 120_000 });
  const pausedAt = (await page.getByTestId('train-status').textContent())!.match(/paused at step (\d+)/)![1];
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('train-status')).toContainText('training on', { timeout: 60_000 });

  const [worker] = page.workers();
  await worker.evaluate(() => (self as unknown as { __devices: GPUDevice[] }).__devices.forEach((d) => d.destroy()));
  const banner = page.getByTestId('train-error');
  await expect(banner).toContainText('GPU device lost: training stopped.', { timeout: 60_000 });
  await expect(banner).toContainText(`The last checkpoint (step ${pausedAt}) is kept: press Resume.`);
  // Nothing the page had is gone: the dataset, the curves, the runs table, the checkpoint.
  await expect(page.getByTestId('stored-tiny-lost')).toBeVisible();
  await expect(chart(page, 'Loss')).toBeVisible();
  await expect(page.getByTestId('runs-table')).toContainText('tiny-lost/quick+batch=8/seed1');
  await expect(page.getByTestId('checkpoints').getByRole('button', { name: 'download tiny-lost/quick+batch=8/seed1' })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('device-lost.png'), fullPage: true });

  // Resume asks for a new device and finishes from the checkpoint (to a nearer end, to keep it short).
  const end = String(Number(pausedAt) + 10);
  await page.getByLabel('steps').fill(end);
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('train-result')).toContainText('Test accuracy', { timeout: 120_000 });
  await expect(page.getByTestId('train-stats')).toContainText(`step ${end}`);
  await expect(banner).toHaveCount(0);
});
