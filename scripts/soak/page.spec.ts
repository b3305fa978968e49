// `npm run soak -- page`: the page trains for SOAK_STEPS steps (default 2,000) at batch SOAK_BATCH
// (16) in Chromium, with its test points and IndexedDB checkpoints every 200 steps, while this
// samples at each new report, at most every SOAK_EVERY_S seconds (15): the memory of Chromium's renderer
// (the page and its training worker) and GPU process (SwiftShader's buffers live there) from /proc,
// the page's JS heap after a collection (DevTools protocol), the training engine's live device
// buffers (the stats line's data attributes) and the time a step takes. After warm-up each must stay
// flat (scripts/soak/drift.ts); the last line printed is JSON. It trains a generated package of
// 2,000 small images (the e2e tests' kind): SwiftShader trains Fashion-MNIST at a few images a
// second here, and what could leak grows with steps, checkpoints and reports, not with pixels.
import { readdirSync, readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { importTiny, openPage, shortRun, trainButton } from '../../e2e/helpers';
import { drifts, MB, report, TOLERANCE, type Sample } from './drift';

const STEPS = Number(process.env.SOAK_STEPS ?? 2000);
const BATCH = Number(process.env.SOAK_BATCH ?? 16);
const EVERY_S = Number(process.env.SOAK_EVERY_S ?? 15);

// The page's steps are shorter and noisier than the CLI's: 15% on step time.
const TOLERANCES = {
  renderer_mb: TOLERANCE.resident,
  gpu_process_mb: TOLERANCE.resident,
  page_heap_mb: TOLERANCE.heap,
  gpu_buffers: TOLERANCE.buffers,
  gpu_mb: TOLERANCE.deviceBytes,
  ms_per_step: TOLERANCE.stepTime(0.15),
};

/** Resident memory of Chromium's processes by type (renderer, gpu-process), in MB; only this soak's browser runs. */
function chromiumRss(): Record<string, number> {
  const out: Record<string, number> = { renderer: 0, 'gpu-process': 0 };
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const type = /--type=([\w-]+)/.exec(cmd)?.[1];
      if (!cmd.includes('chromium') || !type || !(type in out)) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      out[type] += Number(rss ?? 0) / 1024;
    } catch {
      // the process ended between the listing and the read
    }
  }
  return out;
}

test('page soak: memory and step time stay flat over a long run', async ({ page }) => {
  const stepsTimeout = 30 * 60_000 + STEPS * 2_000;
  test.setTimeout(stepsTimeout);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await openPage(page);
  await importTiny(page, 'soak', { seed: 1, train: [1000, 1000], test: [200] });
  await shortRun(page, STEPS, { batch: BATCH, testEvery: 200 });
  await trainButton(page).click();
  const stats = page.getByTestId('train-stats');
  await expect(stats).toContainText('img/s', { timeout: 120_000 });

  const samples: Sample[] = [];
  const t0 = Date.now();
  while (!(await page.getByTestId('train-result').isVisible())) {
    const text = (await stats.textContent()) ?? '';
    const step = Number(/step (\d+)/.exec(text)?.[1]);
    const rate = Number(/(\d+) img\/s/.exec(text)?.[1]);
    if (step > (samples.at(-1)?.step ?? 0) && step < STEPS && rate > 0) {
      await cdp.send('HeapProfiler.collectGarbage');
      const { metrics } = await cdp.send('Performance.getMetrics');
      const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN;
      const rss = chromiumRss();
      const values = {
        renderer_mb: rss.renderer,
        gpu_process_mb: rss['gpu-process'],
        page_heap_mb: heap / MB,
        gpu_buffers: Number(await stats.getAttribute('data-gpu-buffers')),
        gpu_mb: Number(await stats.getAttribute('data-gpu-bytes')) / MB,
        ms_per_step: (1000 * BATCH) / rate,
      };
      samples.push({ step, at: (Date.now() - t0) / 1000, values });
      console.log(`step ${step}: ${Object.entries(values).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
    }
    await page.waitForTimeout(EVERY_S * 1000);
  }
  const warmup = Math.round(STEPS / 4);
  const result = drifts(samples, warmup, TOLERANCES);
  console.log(report(samples, result));
  const flat = Object.values(result).every((d) => d.flat);
  console.log(JSON.stringify({ soak: 'page', steps: STEPS, batch: BATCH, warmup_steps: warmup, samples: samples.length, wall_s: Math.round((Date.now() - t0) / 1000), result: await page.getByTestId('train-result').textContent(), drift: result, flat }));
  expect(flat, 'a quantity grew past warm-up beyond its tolerance (see the table above)').toBe(true);
});
