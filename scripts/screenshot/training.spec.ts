// Opens the page (the shipped Fashion-MNIST package loads by itself) and compares three
// augmentation recipes on the quick preset, a short budget each, then photographs the dashboard at
// 1440×900 mid-comparison: two finished runs' curves overlaid under the third's live one, the
// comparison's progress and test-accuracy curves, attention and the lab. Writes docs/screenshot-training.png.
import { expect, test } from '@playwright/test';
import { openPage } from '../../e2e/helpers';

test('screenshot of the page mid-comparison', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await openPage(page, '/?v=1&steps=40&batch=64&evalEvery=10');
  await page.getByTestId('augment-lab').getByRole('button', { name: 'Show augmentations' }).click();
  const panel = page.getByRole('region', { name: 'Compare augmentations' });
  for (const name of ["SeiT's augmentations", '+ TokenAdapt (learned)']) await panel.getByRole('checkbox', { name, exact: true }).check();
  await panel.getByRole('button', { name: 'Train and compare' }).click();
  // The third run under way, with test points of its own, over the two finished ones; progress logged, as this takes minutes.
  const progress = () => page.evaluate(() => ['compare-progress', 'train-stats'].map((id) => document.querySelector(`[data-testid="${id}"]`)?.textContent ?? '').join(' | '));
  const logger = setInterval(() => void progress().then((p) => console.log(`[screenshot] ${p}`), () => undefined), 30_000);
  await expect(panel.getByTestId('compare-progress')).toContainText('Training run 3 of 3', { timeout: 1_200_000 });
  clearInterval(logger);
  await expect(page.getByTestId('runs-table')).toContainText('at step 20', { timeout: 600_000 });
  await expect(page.getByTestId('attention-view').getByRole('img').first()).toBeVisible({ timeout: 60_000 });
  await page.locator('.dashboard').screenshot({ path: 'docs/screenshot-training.png' });
});
