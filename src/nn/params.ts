// Where a model's parameters live: one flat f32 buffer holding every tensor at an aligned offset,
// with a twin buffer for gradients, so the optimizer and the gradient norm are single dispatches.
import { VIEW_ALIGN, type Engine, type Tensor } from '../gpu/engine';
import type { ParamGroup } from '../ops/optim';
import { normal, uniforms } from '../util/rng';

export type Init = { kind: 'normal'; std: number } | { kind: 'zeros' } | { kind: 'ones' };

export interface ParamSpec {
  name: string;
  shape: number[];
  init: Init;
  /** Weight decay applies to matrices, not to norms, biases or embeddings (DeiT/SeiT recipe). */
  decay: boolean;
  /** Depth index for layer-wise lr decay: 0 = embeddings, 1..L = blocks, L+1 = head. */
  layer: number;
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
      else if (slot.init.kind === 'normal') {
        for (let i = 0; i < v.length; i++) v[i] = slot.init.std * normal(u);
      }
    }
    return out;
  }

  /**
   * Optimizer groups: contiguous runs of slots with the same (decay, lr scale). `lrScale(layer)`
   * gives layer-wise lr decay; padding between slots belongs to no group and is never updated.
   */
  groups(lrScale: (layer: number) => number = () => 1): ParamGroup[] {
    const groups: ParamGroup[] = [];
    for (const s of this.slots) {
      const g = { start: s.offset, end: s.offset + s.size, lrScale: lrScale(s.layer), wdScale: s.decay ? 1 : 0 };
      const last = groups[groups.length - 1];
      if (last && last.lrScale === g.lrScale && last.wdScale === g.wdScale) last.end = g.end;
      else groups.push(g);
    }
    return groups;
  }
}

/** A layout bound to GPU buffers: parameters and gradients, each slot a view. */
export class ParamBuffers {
  readonly params: Tensor<'f32'>;
  readonly grads: Tensor<'f32'>;

  constructor(
    e: Engine,
    readonly layout: ParamLayout,
    values: Float32Array,
  ) {
    this.params = e.tensor([layout.total], 'f32', values, 'params');
    // Gradients start at zero so alignment padding stays zero and never moves AdamW's norm.
    this.grads = e.tensor([layout.total], 'f32', undefined, 'grads');
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
  }
}
