// f32 -> f16 on the GPU (shaders/convert.wgsl), for matmul operands in f16 (--precision f16).
import { grid, Params, type Engine, type Tensor } from '../gpu/engine';

const WG = 64;

/** y[i] = f16(scale * x[i]) saturated at ±65504; y must hold at least x.size elements. */
export function toF16(e: Engine, x: Tensor<'f32'>, y: Tensor<'f16'>, scale = 1): void {
  if (y.size < x.size) throw new Error(`toF16: ${x.size} values into ${y.size}`);
  e.dispatch({
    shader: 'convert',
    entry: 'to_f16',
    constants: { WG },
    params: new Params().u32(x.size).f32(scale),
    buffers: [x, y],
    workgroups: grid(Math.ceil(x.size / 2), WG),
  });
}
