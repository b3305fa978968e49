// Compare augmentations: three recipes ticked, one seed, a tiny budget; the page trains them one
// after another, overlays their test curves with a legend naming each recipe, ends with a bar
// chart of final test accuracy whose bars open their config diff and runs, and shows the recipes
// on test images with the token grid. The finished view has no serious accessibility violation,
// and the console stays clean.
import { expect, test } from '@playwright/test';
import { chart, complaints, importTiny, openPage, plotted, seriousViolations, shortRun } from './helpers';

test('three augmentation recipes trained, overlaid, charted and previewed', async ({ page }) => {
  test.setTimeout(300_000);
  const problems = complaints(page);
  await openPage(page);
  await importTiny(page, 'tiny-compare', { seed: 7, train: [150], test: [12] });
  await shortRun(page, 4, { testEvery: 2 });

  const panel = page.getByRole('region', { name: 'Compare augmentations' });
  // The recipe trains without augmentation: that one starts ticked, marked as the recipe's.
  await expect(panel.getByRole('checkbox', { name: "no augmentation (this recipe's)", exact: true })).toBeChecked();
  await panel.getByRole('checkbox', { name: "SeiT's augmentations", exact: true }).check();
  await panel.getByRole('checkbox', { name: '+ TokenAdapt oracle', exact: true }).check();
  await expect(panel).toContainText('3 runs');
  await panel.getByRole('button', { name: 'Train and compare' }).click();
  await expect(panel.getByTestId('compare-progress')).toContainText(/Training run [123] of 3/);
  await expect(panel.getByTestId('compare-progress')).toHaveText('Finished: 3 runs.', { timeout: 210_000 });

  // The runs' test points on one chart, each named by its recipe in the legend.
  const curves = chart(page, 'Test accuracy by augmentation');
  await expect.poll(async () => Object.entries(await plotted(curves)).map(([label, n]) => [label, n >= 2])).toEqual([
    ['no augmentation', true],
    ["SeiT's augmentations", true],
    ['+ TokenAdapt oracle', true],
  ]);
  for (const label of ['no augmentation', "SeiT's augmentations", '+ TokenAdapt oracle']) await expect(curves.locator('.u-legend')).toContainText(label);

  // One bar per recipe; a bar opens what its recipe changes and its run.
  const bars = panel.getByTestId('accuracy-bars');
  await expect(bars.locator('rect[data-testid^="bar-"]')).toHaveCount(3);
  await expect(bars.getByRole('img')).toHaveAccessibleName(/^Final test accuracy by augmentation: no augmentation \d+\.\d%; SeiT's augmentations \d+\.\d%; \+ TokenAdapt oracle \d+\.\d%$/);
  const diff = panel.getByTestId('config-diff-seit');
  await expect(diff).toBeHidden();
  await bars.getByTestId('bar-seit').click();
  await expect(diff).toBeVisible();
  await expect(diff).toContainText("augmentations: SeiT's: TokenEDA, token crop, noise, CutMix (seit)");
  await expect(diff).toContainText('seed 1: tiny-compare/quick+batch=8+augment=seit/seed1');
  await expect(panel.getByTestId('config-diff-none')).toBeHidden();

  // The two recipes on a batch of four test images, drawn about 140 px wide with the token grid:
  // the tiny package's images are 3 cells of 2 gray pixels across, so a row of pixels inside the
  // first cell row crosses 2 grid lines (blue over gray) and is gray elsewhere.
  await panel.getByRole('button', { name: 'Show the recipes' }).click();
  for (const name of ['none', 'seit']) {
    const row = panel.getByTestId(`recipe-row-${name}`);
    await expect(row.locator('canvas')).toHaveCount(4, { timeout: 60_000 });
    const drawn = await row.locator('canvas').first().evaluate((c: HTMLCanvasElement) => {
      const px = c.getContext('2d')!.getImageData(0, 2, c.width, 1).data;
      const blue = Array.from({ length: c.width }, (_, x) => px[4 * x + 2] - px[4 * x] > 50).filter(Boolean).length;
      return { width: c.width, shown: c.getBoundingClientRect().width, blue };
    });
    expect(drawn).toEqual({ width: 138, shown: 138, blue: 2 });
  }
  await page.screenshot({ path: test.info().outputPath('compare.png'), fullPage: true });

  expect(await seriousViolations(page)).toEqual([]);
  expect(problems).toEqual([]);
});
