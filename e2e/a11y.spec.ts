// Accessibility (axe-core) of the page's main states: the first screen, once the shipped dataset
// is in, and a run in progress with its curves and attention view (a finished comparison is
// checked in e2e/compare.spec.ts, which trains one). Serious and critical violations fail; each is
// listed with the elements it was found on.
import { expect, test } from '@playwright/test';
import { importTiny, openPage, seriousViolations, shortRun, trainButton } from './helpers';

test('no serious or critical accessibility violations on the first screen or while training', async ({ page }) => {
  await openPage(page);
  expect(await seriousViolations(page)).toEqual([]);

  await importTiny(page, 'tiny-a11y', { seed: 5, train: [200, 56], test: [40] });
  await shortRun(page, 2000, { testEvery: 4 });
  await trainButton(page).click();
  await expect(page.getByTestId('runs-table')).toContainText('at step 4', { timeout: 120_000 });
  await expect(page.getByTestId('attention-view').getByRole('img')).toBeVisible({ timeout: 60_000 });
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByRole('button', { name: 'Pause' }).click();
});
