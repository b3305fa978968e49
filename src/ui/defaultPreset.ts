// The recipe a first visit gets, chosen by the adapter: a software adapter (SwiftShader, lavapipe)
// gets the quick preset (minutes there); a real GPU gets gpu-quick, a bigger model sized for about
// two minutes on a laptop GPU. The user can pick any preset; this only sets where the page starts.
import { isSoftwareAdapter, type AdapterReport } from '../gpu/device';

export type HomePreset = 'quick' | 'gpu-quick';

/** The default preset for an adapter; null (no adapter: nothing will train) gets the cheap one. */
export function defaultPreset(report: Pick<AdapterReport, 'isFallbackAdapter' | 'description'> | null): HomePreset {
  return !report || isSoftwareAdapter(report) ? 'quick' : 'gpu-quick';
}
