// @ts-nocheck: AssemblyScript (reinterpret, u16 ...), type-checked by asc, not by tsc.
// Scalar float32 <-> fp16 conversions of lowp's WebAssembly kernels (kernels.ts' bulk conversions use
// them for their tails, ggml-quant.ts for the fp16 block scales of llama.cpp's types): round to nearest
// even, overflow to infinity, NaN to the quiet NaN keeping the sign; decoding exact (NaN payloads
// kept). The same bits as lowp/formats' fast16.ts, which tests compare them with.

/** float32 bits -> fp16 code (RNE). */
export function f32ToF16s(x: u32): u16 {
  const sign = x & 0x80000000;
  let a = x ^ sign;
  let o: u32;
  if (a >= ((127 + 16) << 23)) o = a > 0x7f800000 ? 0x7e00 : 0x7c00;
  else if (a < (113 << 23)) {
    const magic: u32 = ((127 - 15) + (23 - 10) + 1) << 23;
    o = reinterpret<u32>(reinterpret<f32>(a) + reinterpret<f32>(magic)) - magic;
  } else o = (a + (((15 - 127) << 23) + 0xfff) + ((a >> 13) & 1)) >> 13;
  return <u16>(o | (sign >> 16));
}

/** fp16 code -> float32 bits (exact). */
export function f16ToF32s(h: u32): u32 {
  let o: u32 = (h & 0x7fff) << 13;
  const e = o & (0x7c00 << 13);
  o += (127 - 15) << 23;
  if (e == (0x7c00 << 13)) {
    o += (128 - 16) << 23; // NaN payload kept as is
  } else if (e == 0) {
    o = reinterpret<u32>(reinterpret<f32>(o + (1 << 23)) - reinterpret<f32>(<u32>(113 << 23)));
  }
  return o | ((h & 0x8000) << 16);
}
