// The learned code embedding in float64 (same order as src/nn/code_embedding.ts).
import { dropPathScaleRef } from '../ops/elementwise.ref';
import { embeddingBackwardRef, embeddingForwardRef } from '../ops/embedding.ref';
import { layernormBackwardRef, layernormRef } from '../ops/layernorm.ref';
import type { TrainStep } from './blocks';
import { embeddingDropout, type CodeEmbeddingConfig } from './code_embedding';
import type { HostParams } from './params';

export function codeEmbeddingRef(h: HostParams, c: CodeEmbeddingConfig, ids: ArrayLike<number>, train?: TrainStep): { out: Float64Array; backward(dOut: Float64Array): void } {
  const N = ids.length;
  const e = c.dim;
  const rows = new Float64Array(N * e);
  embeddingForwardRef(ids, h.P('embed.table'), c.vocab + 1, e, rows);
  const ln = layernormRef(rows, h.P('embed.ln.g'), h.P('embed.ln.b'), N, e);
  const drop = embeddingDropout(c, N, train);
  const out = drop ? dropPathScaleRef(ln.y, drop) : ln.y;
  const backward = (dOut: Float64Array) => {
    const dNormed = drop ? dropPathScaleRef(dOut, drop) : dOut;
    const b = layernormBackwardRef(dNormed, rows, h.P('embed.ln.g'), ln.mean, ln.rstd, N, e);
    h.G('embed.ln.g').set(b.dgamma);
    h.G('embed.ln.b').set(b.dbeta);
    embeddingBackwardRef(ids, b.dx, c.vocab + 1, e, h.G('embed.table'));
  };
  return { out, backward };
}
