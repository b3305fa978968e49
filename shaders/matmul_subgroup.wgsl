// C = alpha * op(A) * op(B) + beta * C (+ bias), as shaders/matmul.wgsl (same Params, bindings and
// edge handling), sharing one operand through subgroup shuffles where the adapter has `subgroups`.
// Two entry points, one per shared operand:
// - `subgroup_main` shares op(B): a workgroup is one column of WG_Y invocations, so all of them
//   (hence every lane of any subgroup, however the driver forms subgroups) own the same TN columns
//   of C and differ in their TM rows. Per chunk of S = subgroup-size steps along K, lane l loads row
//   k0 + l of op(B)'s TN columns once; every lane then takes row k0 + kk from lane kk by shuffle
//   instead of loading it itself: TN/S loads of op(B) per step instead of TN.
// - `subgroup_rows` shares op(A): a workgroup is one row of WG_X invocations that own the same TM
//   rows and differ in their TN columns; lane l loads column k0 + l of op(A)'s TM rows and the
//   others take it by shuffle: TM/S loads of op(A) per step instead of TM. With TM > TN this
//   saves the larger share of loads, which is what a CPU driver's time goes by (lavapipe performs
//   every storage load lane by lane; a shuffle is a register move).
// Each element still sums over k in order, so the results are bit-identical to the other variants.
enable subgroups;
//!include matmul

@compute @workgroup_size(1, WG_Y, 1)
fn subgroup_main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(subgroup_size) sg: u32, @builtin(subgroup_invocation_id) lane: u32) {
  // No early return: every lane must take part in the shuffles. Rows past the edge read row M - 1
  // and are never stored.
  let blk = block_at(gid);

  var acc: array<vec4<f32>, TM * TN / 4u>;
  for (var k0 = 0u; k0 < p.K; k0 += sg) {
    // This lane's row of op(B) for the chunk (a clamped row past K, never used).
    let kl = min(k0 + lane, p.K - 1u);
    var mine: array<vec4<f32>, TN / 4u>;
    for (var v = 0u; v < TN / 4u; v++) {
      mine[v] = vec4<f32>(b_at(blk.base.b, kl, blk.cols[4u * v]), b_at(blk.base.b, kl, blk.cols[4u * v + 1u]), b_at(blk.base.b, kl, blk.cols[4u * v + 2u]), b_at(blk.base.b, kl, blk.cols[4u * v + 3u]));
    }
    let steps = min(sg, p.K - k0);
    for (var kk = 0u; kk < steps; kk++) {
      var b: array<vec4<f32>, TN / 4u>;
      for (var v = 0u; v < TN / 4u; v++) { b[v] = subgroupShuffle(mine[v], kk); }
      for (var i = 0u; i < TM; i++) {
        let a = a_at(blk.base.a, blk.rows[i], k0 + kk);
        for (var v = 0u; v < TN / 4u; v++) { acc[i * (TN / 4u) + v] += a * b[v]; }
      }
    }
  }

  store_block(blk.base.c, blk.m0, blk.n0, acc);
}

@compute @workgroup_size(WG_X, 1, 1)
fn subgroup_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(subgroup_size) sg: u32, @builtin(subgroup_invocation_id) lane: u32) {
  // No early return before the stores: every lane must take part in the shuffles. Columns past the
  // edge read column N - 1 and are never stored.
  let blk = block_at(gid);
  // The lanes holding a chunk: the whole subgroup, or the whole workgroup when it is the smaller
  // (its invocations are then lanes 0 .. WG_X - 1 of one subgroup).
  let chunk = min(sg, WG_X);

  var acc: array<vec4<f32>, TM * TN / 4u>;
  for (var k0 = 0u; k0 < p.K; k0 += chunk) {
    // This lane's column of op(A) for the chunk (a clamped column past K, never used), 4 rows a vec4.
    let kl = min(k0 + lane, p.K - 1u);
    var mine: array<vec4<f32>, TM / 4u>;
    for (var u = 0u; u < TM / 4u; u++) {
      mine[u] = vec4<f32>(a_at(blk.base.a, blk.rows[4u * u], kl), a_at(blk.base.a, blk.rows[4u * u + 1u], kl), a_at(blk.base.a, blk.rows[4u * u + 2u], kl), a_at(blk.base.a, blk.rows[4u * u + 3u], kl));
    }
    let steps = min(chunk, p.K - k0);
    for (var kk = 0u; kk < steps; kk++) {
      let k = k0 + kk;
      var b: array<vec4<f32>, TN / 4u>;
      for (var v = 0u; v < TN / 4u; v++) {
        b[v] = vec4<f32>(b_at(blk.base.b, k, blk.cols[4u * v]), b_at(blk.base.b, k, blk.cols[4u * v + 1u]), b_at(blk.base.b, k, blk.cols[4u * v + 2u]), b_at(blk.base.b, k, blk.cols[4u * v + 3u]));
      }
      for (var u = 0u; u < TM / 4u; u++) {
        let a = subgroupShuffle(mine[u], kk);
        for (var r = 0u; r < 4u; r++) {
          for (var v = 0u; v < TN / 4u; v++) { acc[(4u * u + r) * (TN / 4u) + v] += a[r] * b[v]; }
        }
      }
    }
  }

  if (blk.n0 >= p.N) { return; }
  store_block(blk.base.c, blk.m0, blk.n0, acc);
}
