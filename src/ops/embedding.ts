// Embedding lookup on the GPU and its deterministic backward (a counting sort by id, then ordered
// sums per vocab row; see shaders/embedding.wgsl). Ids outside [0, V) are clamped to the nearest
// row in both directions.
import { grid, Params, type Engine, type Tensor } from '../gpu/engine';

const WG = 64;
/** Positions per chunk of the backward's counting sort: the scratch holds chunks*V counts. */
export const EMBEDDING_CHUNK = 128;

/** Scratch for embeddingBackward, allocated once per (N, V) and reused every step. */
export interface EmbeddingScratch {
  /** [chunks, V]: per-chunk id counts, then bucket start offsets. */
  counts: Tensor<'u32'>;
  /** [V]: occurrences of each id. */
  totals: Tensor<'u32'>;
  /** [N]: each position's rank among equal ids earlier in its chunk. */
  rank: Tensor<'u32'>;
  /** [N]: positions sorted by id, then by position. */
  bucket: Tensor<'u32'>;
}

export function embeddingScratch(e: Engine, N: number, V: number): EmbeddingScratch {
  const chunks = Math.ceil(N / EMBEDDING_CHUNK);
  return {
    counts: e.tensor([chunks, V], 'u32', undefined, 'embedding.counts'),
    totals: e.tensor([V], 'u32', undefined, 'embedding.totals'),
    rank: e.tensor([N], 'u32', undefined, 'embedding.rank'),
    bucket: e.tensor([N], 'u32', undefined, 'embedding.bucket'),
  };
}

function params(N: number, V: number, C: number): Params {
  return new Params().u32(N).u32(V).u32(C).u32(EMBEDDING_CHUNK).u32(Math.ceil(N / EMBEDDING_CHUNK));
}

function shapes(ids: Tensor<'i32'>, table: Tensor, rows: Tensor): { N: number; V: number; C: number } {
  const N = ids.size;
  const [V, C] = table.shape;
  if (table.shape.length !== 2 || V < 1) throw new Error(`embedding: table must be [V >= 1, C], got [${table.shape}]`);
  if (rows.size !== N * C) throw new Error(`embedding: [${rows.shape}] does not hold ${N} rows of ${C}`);
  return { N, V, C };
}

/** out[i, :] = table[ids[i], :], or out[i, :] += ... with accumulate (e.g. a position embedding). */
export function embeddingForward(e: Engine, ids: Tensor<'i32'>, table: Tensor, out: Tensor, accumulate = false): void {
  const { N, V, C } = shapes(ids, table, out);
  e.dispatch({
    shader: 'embedding',
    entry: 'forward',
    constants: { ACCUMULATE: accumulate },
    params: params(N, V, C),
    buffers: [ids, table, out],
    workgroups: grid(N * Math.ceil(C / 4), WG),
  });
}

/**
 * dTable[v, :] = sum of dOut[i, :] over i with ids[i] == v, in increasing i (bit-identical run to
 * run), or dTable += ... with accumulate. `scratch` comes from embeddingScratch(e, >= N, >= V).
 */
export function embeddingBackward(e: Engine, ids: Tensor<'i32'>, dOut: Tensor, dTable: Tensor, scratch: EmbeddingScratch, accumulate = false): void {
  const { N, V, C } = shapes(ids, dTable, dOut);
  const chunks = Math.ceil(N / EMBEDDING_CHUNK);
  const s = scratch;
  if (s.counts.size < chunks * V || s.totals.size < V || s.rank.size < N || s.bucket.size < N) {
    throw new Error(`embeddingBackward: scratch too small for N=${N}, V=${V}; use embeddingScratch(e, N, V)`);
  }
  // counts is laid out [chunks, V] with this call's V, so a larger scratch is simply underused.
  const pass = (entry: string, buffers: Tensor[], invocations: number) =>
    e.dispatch({ shader: 'embedding', entry, params: params(N, V, C), buffers, workgroups: grid(invocations, WG) });
  pass('count', [ids, s.counts, s.rank], chunks);
  pass('totals', [s.counts, s.totals], V);
  pass('offsets', [s.totals, s.counts], V);
  pass('scatter', [ids, s.counts, s.rank, s.bucket], N);
  e.dispatch({
    shader: 'embedding',
    entry: 'sum',
    constants: { ACCUMULATE: accumulate },
    params: params(N, V, C),
    buffers: [s.counts, s.totals, s.bucket, dOut, dTable],
    workgroups: grid(V * C, WG),
  });
}

/** A codebook as a frozen embedding table: its K vectors and a zero row K, which CLS cells point at. */
export function codebookTable(e: Engine, cb: { K: number; patch: number; channels: number; vectors: Float32Array }, label = 'codebook'): Tensor {
  const C = cb.patch * cb.patch * cb.channels;
  const table = new Float32Array((cb.K + 1) * C);
  table.set(cb.vectors);
  return e.tensor([cb.K + 1, C], 'f32', table, label);
}
