// `npm run bench -- import`'s browser half: the page's image import timed in the same Chromium
// (SwiftShader here) as the e2e tests; not part of `npm test`.
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';
import base from '../../playwright.config';

const root = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({ ...base, testDir: '.', testMatch: 'import.spec.ts', timeout: 1_800_000, webServer: { ...base.webServer!, cwd: root } as typeof base.webServer });
