// Training examples as the model consumes them: token ids for a token ViT, patch pixels for the
// pixel baseline; and the fixed labelled subset a few-labels run trains on.
import type { Codebook, Manifest, TokenSplit } from '../formats/package';
import { uniforms } from '../util/rng';
import type { TokenAdaptWeights } from '../nn/tokenadapt';

export type Examples =
  /** Token grids [count, cells] of codebook ids. */
  | { kind: 'tokens'; count: number; labels: Uint8Array; tokens: Uint16Array }
  /** Patch pixels [count, cells, inDim] in [0, 1]. */
  | { kind: 'pixels'; count: number; labels: Uint8Array; patches: Float32Array };

export interface TrainData {
  name: string;
  classes: string[];
  grid: [number, number];
  /** Features per cell: codebook vector size, or patch pixels. */
  inDim: number;
  /** Token data only: the codebook (K vectors of inDim = patch * patch * channels pixels). */
  codebook?: Codebook;
  train: Examples;
  test: Examples;
  /** Stored bytes per image of the representation trained on (for the storage-vs-accuracy table). */
  bytesPerImage: number;
  /** The package's trained TokenAdapt, when it ships one. */
  tokenAdapt?: TokenAdaptWeights;
}

/** Training data from a decoded dataset package (read from disk by the CLI, from IndexedDB in the page). */
export function tokenData(manifest: Manifest, codebook: Codebook, train: TokenSplit, test: TokenSplit, tokenAdapt?: TokenAdaptWeights): TrainData {
  const examples = (s: TokenSplit): Examples => ({ kind: 'tokens', count: s.count, labels: s.labels, tokens: s.tokens });
  return {
    name: manifest.name,
    classes: manifest.classes,
    grid: manifest.tokenizer.grid,
    inDim: codebook.patch * codebook.patch * codebook.channels,
    codebook,
    train: examples(train),
    test: examples(test),
    bytesPerImage: manifest.storage.tokenBytes / manifest.storage.images,
    tokenAdapt,
  };
}

/**
 * A fixed, seeded, class-balanced subset of the examples: round(fraction * n_c) of each class's
 * n_c (at least one), drawn by a seeded shuffle within the class, kept in their original order.
 */
export function labeledSubset(ex: Examples, fraction: number, seed: number): Examples {
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`the labelled fraction must be in (0, 1], got ${fraction}`);
  if (fraction === 1) return ex;
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < ex.count; i++) {
    const list = byClass.get(ex.labels[i]) ?? [];
    list.push(i);
    byClass.set(ex.labels[i], list);
  }
  const chosen: number[] = [];
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const list = byClass.get(c)!;
    const u = uniforms((seed * 1_000_003 + c * 7919 + 17) >>> 0);
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(u() * (i + 1));
      [list[i], list[j]] = [list[j], list[i]];
    }
    chosen.push(...list.slice(0, Math.max(1, Math.round(fraction * list.length))));
  }
  chosen.sort((a, b) => a - b);
  const labels = Uint8Array.from(chosen, (i) => ex.labels[i]);
  if (ex.kind === 'tokens') {
    const cells = ex.tokens.length / ex.count;
    const tokens = new Uint16Array(chosen.length * cells);
    chosen.forEach((i, r) => tokens.set(ex.tokens.subarray(i * cells, (i + 1) * cells), r * cells));
    return { kind: 'tokens', count: chosen.length, labels, tokens };
  }
  const per = ex.patches.length / ex.count;
  const patches = new Float32Array(chosen.length * per);
  chosen.forEach((i, r) => patches.set(ex.patches.subarray(i * per, (i + 1) * per), r * per));
  return { kind: 'pixels', count: chosen.length, labels, patches };
}
