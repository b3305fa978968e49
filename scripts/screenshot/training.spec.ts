// Loads the shipped Fashion-MNIST package, trains the quick preset with SeiT's augmentations and
// TokenAdapt, and photographs the page mid-training: curves with test points, attention, the lab. Writes
// docs/screenshot-training.png.
import { expect, test } from '@playwright/test';

test('screenshot of the page mid-training', async ({ page }) => {
  await page.setViewportSize({ width: 1100, height: 900 });
  await page.goto('/?v=1&steps=400&augment=seit-ta');
  await page.getByTestId('load-fashion-mnist').click();
  await expect(page.getByTestId('stored-fashion-mnist')).toBeVisible({ timeout: 120_000 });
  await page.getByTestId('augment-lab').getByRole('button', { name: 'Show augmentations' }).click();
  await page.getByRole('button', { name: 'Start' }).click();
  // Two test points (every 100 steps) on the curves.
  await expect(page.getByTestId('runs-table')).toContainText('at step 200', { timeout: 900_000 });
  await expect(page.getByTestId('attention-view').getByRole('img')).toBeVisible({ timeout: 60_000 });
  await page.getByRole('region', { name: 'Training' }).screenshot({ path: 'docs/screenshot-training.png' });
});
