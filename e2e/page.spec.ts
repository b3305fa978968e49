import { expect, test } from '@playwright/test';
import { complaints, openPage } from './helpers';

test('the page shows the WebGPU adapter, its optional features and limits', async ({ page }, testInfo) => {
  // A first visit logs nothing: no error, no warning, no missing file.
  const problems = complaints(page);
  await openPage(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Tessera');
  await expect(page.getByText('Train Vision Transformers on VQ tokens in your browser')).toBeVisible();

  const panel = page.getByTestId('adapter-panel');
  await expect(panel).toBeVisible();
  // Without a GPU, Chromium's WebGPU runs on SwiftShader and reports it as a fallback adapter.
  await expect(page.getByTestId('adapter-description')).toHaveText(/swiftshader/i);
  await expect(page.getByTestId('adapter-fallback')).toHaveText(/^yes/);
  // The CPU block, measured on lavapipe and on SwiftShader.
  await expect(page.getByTestId('adapter-matmul')).toHaveText(/^block16x8/);
  console.log(`[page] adapter: ${await page.getByTestId('adapter-description').textContent()}; fallback: ${await page.getByTestId('adapter-fallback').textContent()}`);

  await panel.getByText('Optional features and limits').click();
  for (const f of ['timestamp-query', 'subgroups', 'shader-f16']) {
    const row = page.getByTestId(`feature-${f}`);
    await expect(row).toContainText(/present|absent/);
    console.log(`[page] ${f}: ${await row.locator('td').textContent()}`);
  }
  await expect(page.getByTestId('limit-maxStorageBufferBindingSize')).toBeVisible();
  await expect(page.getByTestId('limit-maxStorageBufferBindingSize')).toContainText(/\d/);
  await testInfo.attach('page', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
  expect(problems).toEqual([]);
});

test('"What am I looking at?" explains attention rollout, masked token modeling and TokenAdapt', async ({ page }) => {
  await page.goto('/');
  const toggle = page.getByRole('button', { name: 'What am I looking at?' });
  const text = page.getByTestId('explainer');
  await expect(text).toBeHidden();
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  for (const term of ['Attention rollout', 'Masked token modeling', 'TokenAdapt']) await expect(text.getByRole('term').filter({ hasText: term })).toBeVisible();
  await toggle.click();
  await expect(text).toBeHidden();
});

test('the dashboard is recipe, curves and views side by side on a wide screen, and one column on a phone', async ({ page }) => {
  const box = async (name: string) => (await page.getByRole(name === 'Recipe' ? 'complementary' : 'region', { name, exact: true }).boundingBox())!;
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto('/');
  const [recipe, curves, views] = [await box('Recipe'), await box('Training'), await box('Model views')];
  expect(recipe.x + recipe.width).toBeLessThanOrEqual(curves.x);
  expect(curves.x + curves.width).toBeLessThanOrEqual(views.x);
  expect(views.x + views.width).toBeLessThanOrEqual(1440);
  expect(Math.abs(recipe.y - curves.y)).toBeLessThan(2);
  expect(Math.abs(views.y - curves.y)).toBeLessThan(2);
  // The Train button shows without scrolling.
  const train = (await page.getByRole('button', { name: 'Train', exact: true }).boundingBox())!;
  expect(train.y + train.height).toBeLessThan(900);
  await page.screenshot({ path: test.info().outputPath('wide.png') });

  await page.setViewportSize({ width: 390, height: 844 });
  const [r, c, v] = [await box('Recipe'), await box('Training'), await box('Model views')];
  for (const b of [r, c, v]) expect(b.x + b.width).toBeLessThanOrEqual(390);
  expect(r.y + r.height).toBeLessThanOrEqual(c.y);
  expect(c.y + c.height).toBeLessThanOrEqual(v.y);
  // Nothing wider than the phone: no sideways scrolling.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: test.info().outputPath('phone.png'), fullPage: true });
});

test('without WebGPU the page explains how to get it', async ({ page }) => {
  await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }));
  await page.goto('/');
  const error = page.getByTestId('webgpu-error');
  await expect(error).toContainText('WebGPU is not available');
  await expect(error).toContainText('--enable-unsafe-webgpu');
  await expect(page.getByTestId('adapter-panel')).toHaveCount(0);
});

test("a shared link naming a model too large for this adapter's buffers is named before Train", async ({ page }) => {
  const problems = complaints(page);
  await openPage(page, '/?v=1&batch=100000&heads=8');
  await expect(page.getByTestId('recipe-error')).toContainText(/attention probabilities \(batch 100000 × 8 heads × 49×49 tokens\) need a .* buffer, and this GPU adapter allows at most .* in one/);
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeDisabled();
  expect(problems).toEqual([]);
});
