// `npm run screenshot`: the README's picture of the page mid-training, taken in the same Chromium
// (SwiftShader) as the e2e tests; not part of `npm test`.
import { defineConfig } from '@playwright/test';
import base from '../../playwright.config';

export default defineConfig({ ...base, testDir: '.', timeout: 600_000 });
