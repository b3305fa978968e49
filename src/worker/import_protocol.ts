// Messages between the page and the image-import worker, which decodes the user's images, fits the
// tokenizer on the GPU and builds the package; the page stores it. Cancelling terminates the
// worker: nothing is stored until it is done, so there is nothing to undo.
import type { BuildProgress } from '../data/build_package';
import type { FolderOptions } from '../data/folder';
import type { Manifest } from '../formats/package';

export interface ImportOptions extends FolderOptions {
  /** Package name ([a-z0-9-]+, unused by the stored datasets) and title. */
  name: string;
  title: string;
  patch: number;
  K: number;
  /** Lloyd iterations at most. */
  iterations: number;
  /** The codebook is fitted on a seeded sample of at most this many train images. */
  fitImages: number;
}

export type ToImporter = {
  type: 'build';
  classes: string[];
  /** Each image with its path (for messages) and class index, in class order, each class sorted by name. */
  images: { file: Blob; path: string; label: number }[];
  options: ImportOptions;
};

export type ImportPhase = 'decode' | BuildProgress['phase'];

export type FromImporter =
  | { type: 'progress'; phase: ImportPhase; done: number; total: number; message: string }
  | { type: 'done'; manifest: Manifest; files: Record<string, Uint8Array>; skipped: { path: string; reason: string }[]; adapter: string; ms: number; /** Milliseconds each phase took. */ phases: Partial<Record<ImportPhase, number>> }
  | { type: 'error'; message: string };
