// `npm run soak -- page`: the page soak (scripts/soak/page.spec.ts) in the same Chromium (SwiftShader)
// as the e2e tests; not part of `npm test`.
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';
import base from '../../playwright.config';

// The dev server runs from the repository root, not from this config's folder.
const root = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({ ...base, testDir: '.', timeout: 14_400_000, webServer: { ...base.webServer!, cwd: root } as typeof base.webServer });
