import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

export default defineConfig(({ mode }) => ({
  plugins: [react()],
  server: { port: 5173, strictPort: true },
  // The browser tests' build (--mode e2e) adds the kernel parity page; the app's build is the page alone.
  build: mode === 'e2e' ? { outDir: 'dist-e2e', rollupOptions: { input: { main: 'index.html', parity: 'e2e/parity.html' } } } : {},
  test: {
    include: ['tests/**/*.test.ts'],
    // Dawn instances are heavy and the machines have 2 cores: one test file at a time keeps
    // kernel timings stable and memory low.
    fileParallelism: false,
    // One worker for every file, modules kept between them: the tests share no mutable module
    // state, and importing the engine and starting Dawn once instead of per file saves ~20 s.
    isolate: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
}));
