// Where a model's parameters live: one flat f32 buffer holding every tensor at an aligned offset,
// with a twin buffer for gradients, so the optimizer and the gradient norm are single dispatches.
import { WebGPUError } from '../gpu/device';
import { VIEW_ALIGN, type Engine, type Tensor } from '../gpu/engine';
import type { ParamGroup } from '../ops/optim';
import { normal, uniforms } from '../util/rng';

export type Init =
  | { kind: 'normal'; std: number }
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'constant'; value: number }
  /** MAE's fixed 2-D sin-cos position code for a grid (rows [cls?, cells], width D), see sincos2d. */
  | { kind: 'sincos'; grid: [number, number]; cls: boolean };

export interface ParamSpec {
  name: string;
  shape: number[];
  init: Init;
  /** Weight decay applies to matrices, not to norms, biases or embeddings (DeiT/SeiT recipe). */
  decay: boolean;
  /** Depth index for layer-wise lr decay: 0 = embeddings, 1..L = blocks, L+1 = head. */
  layer: number;
  /** Never updated (e.g. MTM's fixed sin-cos position code): the optimizer skips it. */
  frozen?: boolean;
}

export interface ParamSlot extends ParamSpec {
  offset: number;
  size: number;
}

/** The flat layout: every parameter's offset, aligned so each can be bound as a tensor view. */
export class ParamLayout {
  readonly slots: ParamSlot[] = [];
  private readonly byName = new Map<string, ParamSlot>();
  total = 0;

  add(spec: ParamSpec): ParamSlot {
    if (this.byName.has(spec.name)) throw new Error(`parameter ${spec.name} declared twice`);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const slot = { ...spec, offset: this.total, size };
    this.total += Math.ceil(size / VIEW_ALIGN) * VIEW_ALIGN;
    this.slots.push(slot);
    this.byName.set(spec.name, slot);
    return slot;
  }

  get(name: string): ParamSlot {
    const s = this.byName.get(name);
    if (!s) throw new Error(`no parameter named ${name}`);
    return s;
  }

  /** Number of real parameters (without alignment padding). */
  get count(): number {
    return this.slots.reduce((a, s) => a + s.size, 0);
  }

  /** Initial values, seeded: N(0, std), zeros or ones; padding 0. */
  init(seed: number): Float32Array {
    const out = new Float32Array(this.total);
    const u = uniforms(seed);
    for (const slot of this.slots) {
      const v = out.subarray(slot.offset, slot.offset + slot.size);
      if (slot.init.kind === 'ones') v.fill(1);
      else if (slot.init.kind === 'constant') v.fill(slot.init.value);
      else if (slot.init.kind === 'normal') {
        for (let i = 0; i < v.length; i++) v[i] = slot.init.std * normal(u);
      } else if (slot.init.kind === 'sincos') v.set(sincos2d(slot.init.grid, slot.shape[1], slot.init.cls));
    }
    return out;
  }

  /**
   * Optimizer groups: contiguous runs of slots with the same (decay, lr scale). `lrScale(layer)`
   * gives layer-wise lr decay; padding between slots and frozen slots belong to no group and are
   * never updated.
   */
  groups(lrScale: (layer: number) => number = () => 1): ParamGroup[] {
    const groups: ParamGroup[] = [];
    for (const s of this.slots) {
      if (s.frozen) continue;
      const g = { start: s.offset, end: s.offset + s.size, lrScale: lrScale(s.layer), wdScale: s.decay ? 1 : 0 };
      const last = groups[groups.length - 1];
      // Merging across a frozen slot would update it: only adjacent slots merge.
      if (last && last.lrScale === g.lrScale && last.wdScale === g.wdScale && last.end + VIEW_ALIGN > g.start) last.end = g.end;
      else groups.push(g);
    }
    return groups;
  }
}

/** The linear layers' matmul operands: f32, or f16 (weights and gradients still kept in f32). */
export type Precision = 'f32' | 'f16';

/** A layout bound to GPU buffers: parameters and gradients, each slot a view. */
export class ParamBuffers {
  readonly params: Tensor<'f32'>;
  readonly grads: Tensor<'f32'>;
  /** Linear layers multiply f16 copies of their operands (src/nn/linear.ts). */
  readonly half: boolean;
  private readonly halves = new Map<string, Tensor<'f16'>>();
  private readonly outgrown: Tensor<'f16'>[] = [];

  constructor(
    private readonly e: Engine,
    readonly layout: ParamLayout,
    values: Float32Array,
    precision: Precision = 'f32',
  ) {
    if (precision === 'f16' && !e.report.features.includes('shader-f16')) {
      throw new WebGPUError('missing-feature', `--precision f16 needs the adapter's shader-f16 feature, which ${e.report.description} lacks: train in f32.`);
    }
    this.half = precision === 'f16';
    this.params = e.tensor([layout.total], 'f32', values, 'params');
    // Gradients start at zero so alignment padding stays zero and never moves AdamW's norm.
    this.grads = e.tensor([layout.total], 'f32', undefined, 'grads');
  }

  /** The f16 buffer kept under `key` (a linear layer's operand copy), of at least `size` elements. */
  f16(key: string, size: number): Tensor<'f16'> {
    let t = this.halves.get(key);
    if (!t || t.size < size) {
      // Outgrown; commands recorded but not yet submitted may still bind it, so it goes at destroy().
      if (t) this.outgrown.push(t);
      t = this.e.tensor([size], 'f16', undefined, `f16.${key}`);
      this.halves.set(key, t);
    }
    return t;
  }

  p(name: string): Tensor {
    const s = this.layout.get(name);
    return this.params.view(s.offset, s.shape);
  }

  g(name: string): Tensor {
    const s = this.layout.get(name);
    return this.grads.view(s.offset, s.shape);
  }

  destroy(): void {
    this.params.destroy();
    this.grads.destroy();
    this.halves.forEach((t) => t.destroy());
    this.outgrown.forEach((t) => t.destroy());
  }
}

/**
 * MAE's 2-D sin-cos position code: rows for [CLS (zeros) if `cls`, then grid cells row-major], D
 * columns; the first D/2 encode the cell's column, the rest its row, each as
 * [sin(pos w_k), cos(pos w_k)] with w_k = 10000^(-k / (D/4)).
 */
export function sincos2d(grid: [number, number], D: number, cls: boolean): Float32Array {
  if (D % 4 !== 0) throw new Error(`a 2-D sin-cos position code needs a width divisible by 4, got ${D}`);
  const [h, w] = grid;
  const q = D / 4;
  const out = new Float32Array(((cls ? 1 : 0) + h * w) * D);
  for (let n = 0; n < h * w; n++) {
    const row = ((cls ? 1 : 0) + n) * D;
    const coords = [n % w, Math.floor(n / w)];
    coords.forEach((pos, half) => {
      for (let k = 0; k < q; k++) {
        const a = pos / 10000 ** (k / q);
        out[row + half * 2 * q + k] = Math.sin(a);
        out[row + half * 2 * q + q + k] = Math.cos(a);
      }
    });
  }
  return out;
}

/** A layout's parameters and gradients as float64 host arrays, for the reference models. */
export function hostParams(layout: ParamLayout, values: Float64Array) {
  const grads = new Float64Array(layout.total);
  const view = (a: Float64Array) => (name: string) => {
    const s = layout.get(name);
    return a.subarray(s.offset, s.offset + s.size);
  };
  return { grads, P: view(values), G: view(grads) };
}

export type HostParams = ReturnType<typeof hostParams>;
