// The recipe a first visit gets, chosen by the adapter: a software adapter (SwiftShader, lavapipe)
// trains the standard preset at a few images a second, so it gets the quick one; a real GPU gets
// standard. The user can pick any preset; this only sets where the page starts.
import type { AdapterReport } from '../gpu/device';

export type HomePreset = 'quick' | 'standard';

/** CPU rasterisers that not every browser flags with isFallbackAdapter. */
const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render/i;

/** The default preset for an adapter; null (no adapter: nothing will train) gets the cheap one. */
export function defaultPreset(report: Pick<AdapterReport, 'isFallbackAdapter' | 'description'> | null): HomePreset {
  return !report || report.isFallbackAdapter || SOFTWARE.test(report.description) ? 'quick' : 'standard';
}
