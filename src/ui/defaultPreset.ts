// The recipe a first visit gets, chosen by the adapter: a software adapter (SwiftShader, lavapipe)
// trains the standard preset at a few images a second, so it gets the quick one; a real GPU gets
// standard. The user can pick any preset; this only sets where the page starts.
import { isSoftwareAdapter, type AdapterReport } from '../gpu/device';

export type HomePreset = 'quick' | 'standard';

/** The default preset for an adapter; null (no adapter: nothing will train) gets the cheap one. */
export function defaultPreset(report: Pick<AdapterReport, 'isFallbackAdapter' | 'description'> | null): HomePreset {
  return !report || isSoftwareAdapter(report) ? 'quick' : 'standard';
}
