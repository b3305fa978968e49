import { expect, test } from '@playwright/test';
import type { ParityReport } from './parity';

// GPU kernels vs their float64 references, in Chromium's own WebGPU (see e2e/parity.ts).
test('kernels match their float64 references in the browser', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/e2e/parity.html');
  // waitForFunction, unlike evaluate, retries until the run's promise settles (and across a reload,
  // should a dev server be reused), and a string result lives in the handle itself. A rejected run
  // fails here with its message.
  const handle = await page.waitForFunction(() => window.__parity?.then((r) => JSON.stringify(r)), undefined, { timeout: 60_000 });
  const report = JSON.parse((await handle.jsonValue()) as string) as ParityReport;
  console.log(`[parity] adapter: ${report.adapter}${report.fallback ? ' (fallback)' : ''}`);
  for (const c of report.cases) {
    console.log(`[parity] ${c.name}: n=${c.n} max_abs=${c.maxAbs.toExponential(2)} max_rel=${c.maxRel.toExponential(2)}`);
  }
  expect(errors).toEqual([]);
  expect(report.cases.length).toBeGreaterThan(0);
  for (const c of report.cases) {
    expect(c.worst, `${c.name}: first element outside atol ${c.atol} + rtol ${c.rtol}*|ref|`).toBeNull();
  }
});
