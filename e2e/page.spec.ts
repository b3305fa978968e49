import { expect, test } from '@playwright/test';

test('the page shows the WebGPU adapter, its optional features and limits', async ({ page }, testInfo) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Tessera');
  await expect(page.getByText('Train Vision Transformers on VQ tokens in your browser')).toBeVisible();

  const panel = page.getByTestId('adapter-panel');
  await expect(panel).toBeVisible();
  // Without a GPU, Chromium's WebGPU runs on SwiftShader and reports it as a fallback adapter.
  await expect(page.getByTestId('adapter-description')).toHaveText(/swiftshader/i);
  await expect(page.getByTestId('adapter-fallback')).toHaveText(/^yes/);
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
});

test('without WebGPU the page explains how to get it', async ({ page }) => {
  await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined }));
  await page.goto('/');
  const error = page.getByTestId('webgpu-error');
  await expect(error).toContainText('WebGPU is not available');
  await expect(error).toContainText('--enable-unsafe-webgpu');
  await expect(page.getByTestId('adapter-panel')).toHaveCount(0);
});
