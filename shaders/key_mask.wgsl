// The key mask's words, shared by shaders/softmax.wgsl and shaders/attention.wgsl (pasted in by
// `//!include key_mask`; each declares `keyMask` and the HAS_MASK and QUERY_GROUPS overrides).
// One u32 per key: its low 16 bits are the groups of queries that may see the key (0: hidden from
// every query); with QUERY_GROUPS, the high 16 bits of a query's own word name the groups it
// belongs to (0: all of them).

// The groups of the query whose word is keyMask[i]: all, unless QUERY_GROUPS names some.
fn groups_at(i: u32) -> u32 {
  if (!QUERY_GROUPS) { return 0xffffu; }
  let q = keyMask[i] >> 16u;
  return select(0xffffu, q, q != 0u);
}

// Whether a query in `groups` sees the key whose word is keyMask[i].
fn seen(i: u32, groups: u32) -> bool {
  if (!HAS_MASK) { return true; }
  return (keyMask[i] & groups) != 0u;
}
