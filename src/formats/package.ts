// A Tessera dataset package: what the builder writes to public/data/<name>/, what the page fetches
// and keeps in IndexedDB. Files: manifest.json, the codebook, one or more shards per split, and
// optionally TokenAdapt's weights. The binary layouts are in docs/dataset-format.md; the codecs in
// src/formats/ (frame.ts, shard.ts, codebook.ts, bundle.ts, manifest.ts, tokenadapt.ts).

export const MANIFEST_FORMAT = 'tessera-dataset';
/** Bumped when the manifest or a binary layout changes incompatibly; readers reject others. */
export const FORMAT_VERSION = 2;

/** Ids are Uint16 in memory, so a codebook holds at most 65536 codes. */
export const MAX_K = 65536;
export const MAX_PATCH = 64;
export const MAX_CHANNELS = 4;

export type SplitName = 'train' | 'test';

export interface FileRef {
  /** Path relative to the manifest. */
  file: string;
  bytes: number;
  /** CRC-32 (IEEE) of the file without its 4-byte CRC trailer (fileCrc32), as an unsigned integer. */
  crc32: number;
}

export interface ShardRef extends FileRef {
  /** Images in this shard. */
  count: number;
}

export interface StorageReport {
  images: number;
  /** Raw pixels of all images: images * width * height * channels bytes. */
  rawBytes: number;
  /** The same pixels gzip-compressed (level 9), all images of all splits concatenated. */
  gzipBytes: number;
  /** Each image as its own PNG, summed. */
  pngBytes: number;
  /** Everything the package holds: manifest, codebook, shards, TokenAdapt. */
  packageBytes: number;
  /** Token shards alone. */
  tokenBytes: number;
  /** Reconstruction quality of decode(encode(x)) over the test split, dB. */
  psnrDb: number;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  formatVersion: number;
  /** Identifier, also the folder name and the IndexedDB key: [a-z0-9-]+. */
  name: string;
  title: string;
  /** Content version: changes whenever any file changes (hash of the file CRCs). */
  version: string;
  classes: string[];
  image: { width: number; height: number; channels: number };
  tokenizer: {
    kind: 'patch-kmeans';
    /** Side of the square pixel patch one token stands for. */
    patch: number;
    /** Token grid [rows, cols] of one image. */
    grid: [number, number];
    /** Codebook size; token ids are 0..K-1. */
    K: number;
    codebook: FileRef;
  };
  splits: Record<SplitName, { count: number; shards: ShardRef[] }>;
  /** The trained TokenAdapt (src/formats/tokenadapt.ts), when the builder made one. */
  tokenadapt?: FileRef;
  storage: StorageReport;
  created: string;
}

/** Decoded tokens of one split: ids row-major per image (grid rows x cols), labels per image. */
export interface TokenSplit {
  count: number;
  grid: [number, number];
  K: number;
  tokens: Uint16Array;
  labels: Uint8Array;
}

/** The codebook: K code vectors of patch*patch*channels values in [0, 1], pixel order (row, col, channel). */
export interface Codebook {
  K: number;
  patch: number;
  channels: number;
  vectors: Float32Array;
}
