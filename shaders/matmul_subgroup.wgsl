// C = alpha * op(A) * op(B) + beta * C (+ bias), as shaders/matmul.wgsl (same Params, bindings and
// edge handling), sharing op(B) through subgroup shuffles where the adapter has `subgroups`.
//
// A workgroup is one column of WG_Y invocations, so all of them (hence every lane of any subgroup,
// however the driver forms subgroups) own the same TN columns of C and differ in their TM rows.
// Per chunk of S = subgroup-size steps along K, lane l loads row k0 + l of op(B)'s TN columns
// once; every lane then takes row k0 + kk from lane kk by shuffle instead of loading it itself:
// TN/S loads of op(B) per step instead of TN. Each element still sums over k in order, so the
// results are bit-identical to the other variants.
enable subgroups;
//!include matmul

@compute @workgroup_size(1, WG_Y, 1)
fn subgroup_main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(subgroup_size) sg: u32, @builtin(subgroup_invocation_id) lane: u32) {
  // No early return: every lane must take part in the shuffles. Rows past the edge read row M - 1
  // and are never stored.
  let m0 = gid.y * TM;
  let n0 = gid.x * TN;
  let base = bases(gid.z);
  let baseA = base.a;
  let baseB = base.b;
  let rows = block_rows(m0);
  let cols = block_cols(n0);

  var acc: array<vec4<f32>, TM * TN / 4u>;
  for (var k0 = 0u; k0 < p.K; k0 += sg) {
    // This lane's row of op(B) for the chunk (a clamped row past K, never used).
    let kl = min(k0 + lane, p.K - 1u);
    var mine: array<vec4<f32>, TN / 4u>;
    for (var v = 0u; v < TN / 4u; v++) {
      mine[v] = vec4<f32>(b_at(baseB, kl, cols[4u * v]), b_at(baseB, kl, cols[4u * v + 1u]), b_at(baseB, kl, cols[4u * v + 2u]), b_at(baseB, kl, cols[4u * v + 3u]));
    }
    let steps = min(sg, p.K - k0);
    for (var kk = 0u; kk < steps; kk++) {
      var b: array<vec4<f32>, TN / 4u>;
      for (var v = 0u; v < TN / 4u; v++) { b[v] = subgroupShuffle(mine[v], kk); }
      for (var i = 0u; i < TM; i++) {
        let a = a_at(baseA, rows[i], k0 + kk);
        for (var v = 0u; v < TN / 4u; v++) { acc[i * (TN / 4u) + v] += a * b[v]; }
      }
    }
  }

  store_block(base.c, m0, n0, acc);
}
