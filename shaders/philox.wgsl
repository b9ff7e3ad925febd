// Philox4x32-10 (Salmon et al. 2011, Random123), the device envs' counter-based RNG: the same
// bits as src/random/philox.ts, which documents the stream (key = the run's seed, counter =
// (draw counter, env index, stream, block index: 0 except policySample's)). WGSL has no u64: the 32x32 -> 64 multiply's high word is
// built from 16-bit halves, as philox.ts's mulhi32 does.

fn philox_mulhi(a: u32, b: u32) -> u32 {
  let al = a & 0xffffu;
  let ah = a >> 16u;
  let bl = b & 0xffffu;
  let bh = b >> 16u;
  let ll = al * bl;
  let lh = al * bh;
  let hl = ah * bl;
  let hh = ah * bh;
  let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}

fn philox4x32_10(counter: vec4u, key: vec2u) -> vec4u {
  var x = counter;
  var k = key;
  for (var round = 0u; round < 10u; round++) {
    if (round > 0u) { k = k + vec2u(0x9e3779b9u, 0xbb67ae85u); }
    let hi0 = philox_mulhi(0xd2511f53u, x.x);
    let lo0 = 0xd2511f53u * x.x;
    let hi1 = philox_mulhi(0xcd9e8d57u, x.z);
    let lo1 = 0xcd9e8d57u * x.z;
    x = vec4u(hi1 ^ x.y ^ k.x, lo1, hi0 ^ x.w ^ k.y, lo0);
  }
  return x;
}

// A u32 as a float in [0, 1): its top 24 bits times 2^-24 (exact in f32).
fn philox_uniform(u: u32) -> f32 {
  return f32(u >> 8u) * 5.9604644775390625e-8;
}

// A u32 as an integer in [0, n): floor(u n / 2^32).
fn philox_below(u: u32, n: u32) -> u32 {
  return philox_mulhi(u, n);
}
