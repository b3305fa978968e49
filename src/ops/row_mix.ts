// Sparse row mixing on the GPU (shaders/row_mix.wgsl): applies host-built taps
// (src/ops/taps.ts) to a [rows, C] tensor. The taps live in GPU buffers that grow as needed,
// so a training step uploads its batch's taps without allocating.
import { grid, Params, type Engine, type Tensor } from '../gpu/engine';
import type { Taps } from './taps';

const WG = 64;

/** Taps uploaded to the GPU; upload() replaces them, growing the buffers when a map is larger. */
export class GpuTaps {
  rows = 0;
  cols = 0;
  private ptr: Tensor<'u32'>;
  private src: Tensor<'i32'>;
  private w: Tensor<'f32'>;

  constructor(
    private readonly e: Engine,
    private readonly label: string,
    taps?: Taps,
  ) {
    this.ptr = e.tensor([1], 'u32', undefined, `${label}.ptr`);
    this.src = e.tensor([1], 'i32', undefined, `${label}.src`);
    this.w = e.tensor([1], 'f32', undefined, `${label}.w`);
    if (taps) this.upload(taps);
  }

  upload(t: Taps): void {
    const { e, label } = this;
    if (this.ptr.size < t.rows + 1) {
      this.ptr.destroy();
      this.ptr = e.tensor([t.rows + 1], 'u32', undefined, `${label}.ptr`);
    }
    if (this.src.size < t.src.length) {
      this.src.destroy();
      this.w.destroy();
      this.src = e.tensor([t.src.length], 'i32', undefined, `${label}.src`);
      this.w = e.tensor([t.src.length], 'f32', undefined, `${label}.w`);
    }
    e.write(this.ptr, t.ptr);
    if (t.src.length) {
      e.write(this.src, t.src);
      e.write(this.w, t.w);
    }
    this.rows = t.rows;
    this.cols = t.cols;
  }

  /** out rows [row0, row0 + rows) = taps applied to x ([cols, C]); out holds rows of C too. */
  apply(x: Tensor, out: Tensor, C: number, row0 = 0): void {
    if (x.size < this.cols * C) throw new Error(`rowMix: input of ${x.size} values, the taps read ${this.cols} rows of ${C}`);
    if (out.size < (row0 + this.rows) * C) throw new Error(`rowMix: output of ${out.size} values, the taps write rows ${row0}..${row0 + this.rows} of ${C}`);
    if (x.buffer === out.buffer) throw new Error('rowMix: the input and output must be different buffers');
    this.e.dispatch({
      shader: 'row_mix',
      constants: { WG },
      params: new Params().u32(this.rows).u32(C).u32(row0),
      buffers: [this.ptr, this.src, this.w, x, out],
      workgroups: grid(this.rows * C, WG),
    });
  }

  destroy(): void {
    [this.ptr, this.src, this.w].forEach((t) => t.destroy());
  }
}
