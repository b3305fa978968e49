// Opens the page (the shipped Fashion-MNIST package loads by itself), trains the quick preset with
// SeiT's augmentations and TokenAdapt, and photographs the dashboard mid-training at 1440×900:
// recipe, curves with test points, attention, the lab. Writes docs/screenshot-training.png.
import { expect, test } from '@playwright/test';
import { openPage, trainButton } from '../../e2e/helpers';

test('screenshot of the page mid-training', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await openPage(page, '/?v=1&steps=400&augment=seit-ta');
  await page.getByTestId('augment-lab').getByRole('button', { name: 'Show augmentations' }).click();
  await trainButton(page).click();
  // Two test points (every 100 steps) on the curves.
  await expect(page.getByTestId('runs-table')).toContainText('at step 200', { timeout: 900_000 });
  await expect(page.getByTestId('attention-view').getByRole('img')).toBeVisible({ timeout: 60_000 });
  await page.locator('.dashboard').screenshot({ path: 'docs/screenshot-training.png' });
});
