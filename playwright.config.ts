import { defineConfig } from '@playwright/test';

// Real-browser tests on Debian's Chromium, whose WebGPU falls back to SwiftShader (a CPU Vulkan)
// when there is no GPU. Never `npx playwright install`: the system browser is the one we test.
export default defineConfig({
  testDir: 'e2e',
  // One worker: SwiftShader is CPU-bound, and parallel browsers only slow each other down.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 30_000 },
  reporter: 'list',
  use: {
    // WebGPU exists only in a secure context; http://localhost is one.
    baseURL: 'http://localhost:5173',
    headless: true,
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      // SwiftShader's WebGPU adapter appears with these alone; --use-angle/--enable-features=Vulkan
      // changed nothing when measured.
      args: ['--enable-unsafe-webgpu', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
  // The built app (with the parity page), served as a user gets it: bundled worker, hashed assets.
  // `npm test` (scripts/test.sh) builds it beside the unit tests and says so with E2E_BUILT.
  webServer: {
    command: `${process.env.E2E_BUILT ? '' : 'npx vite build --mode e2e --logLevel warn && '}npx vite preview --mode e2e --outDir dist-e2e --port 5173 --strictPort`,
    url: 'http://localhost:5173',
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
