/**
 * A minimal GGUF v3 writer (little endian): typed metadata key/values and F32 tensors, laid out the way
 * llama.cpp's `gguf.cpp` reads them. Enough to write the tiny test model; not a general converter.
 */

/** GGUF metadata value types, by their on-disk ids. */
const VALUE_TYPE = {
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
} as const;

/** ggml tensor types, by their on-disk ids. */
const TENSOR_TYPE_F32 = 0;

export const GGUF_ALIGNMENT = 32;

export type GgufScalar =
  | { type: "uint32"; value: number }
  | { type: "int32"; value: number }
  | { type: "float32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string };

export type GgufArray =
  | { type: "array"; items: "string"; value: readonly string[] }
  | { type: "array"; items: "int32"; value: readonly number[] };

export type GgufValue = GgufScalar | GgufArray;

export const gguf = {
  u32: (value: number): GgufValue => ({ type: "uint32", value }),
  i32: (value: number): GgufValue => ({ type: "int32", value }),
  f32: (value: number): GgufValue => ({ type: "float32", value }),
  bool: (value: boolean): GgufValue => ({ type: "bool", value }),
  str: (value: string): GgufValue => ({ type: "string", value }),
  strings: (value: readonly string[]): GgufValue => ({ type: "array", items: "string", value }),
  i32s: (value: readonly number[]): GgufValue => ({ type: "array", items: "int32", value }),
};

export interface GgufTensor {
  name: string;
  /** ggml order: the innermost (contiguous) dimension first, e.g. `[n_embd, n_vocab]` for `token_embd`. */
  shape: readonly number[];
  data: Float32Array;
}

/** Grows a byte buffer; every number is written little endian, as GGUF requires. */
class ByteSink {
  private buffer = new Uint8Array(1 << 16);
  private view = new DataView(this.buffer.buffer);
  length = 0;

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + bytes) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }

  i32(value: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, value, true);
    this.length += 4;
  }

  u64(value: number): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(value), true);
    this.length += 8;
  }

  f32(value: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, value, true);
    this.length += 4;
  }

  u8(value: number): void {
    this.reserve(1);
    this.view.setUint8(this.length, value);
    this.length += 1;
  }

  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  /** A GGUF string: u64 byte length, then UTF-8 bytes, no terminator. */
  string(value: string): void {
    const encoded = new TextEncoder().encode(value);
    this.u64(encoded.length);
    this.bytes(encoded);
  }

  padTo(alignment: number): void {
    while (this.length % alignment !== 0) this.u8(0);
  }

  result(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

function writeValue(sink: ByteSink, value: GgufValue): void {
  sink.u32(VALUE_TYPE[value.type]);
  switch (value.type) {
    case "uint32":
      sink.u32(value.value);
      return;
    case "int32":
      sink.i32(value.value);
      return;
    case "float32":
      sink.f32(value.value);
      return;
    case "bool":
      sink.u8(value.value ? 1 : 0);
      return;
    case "string":
      sink.string(value.value);
      return;
    case "array":
      if (value.items === "string") {
        sink.u32(VALUE_TYPE.string);
        sink.u64(value.value.length);
        for (const item of value.value) sink.string(item);
      } else {
        sink.u32(VALUE_TYPE.int32);
        sink.u64(value.value.length);
        for (const item of value.value) sink.i32(item);
      }
      return;
  }
}

/**
 * Serializes a GGUF v3 file: header, metadata, tensor infos, padding to `GGUF_ALIGNMENT`, then each
 * tensor's data at an aligned offset. `general.alignment` is written so readers need not assume it.
 */
export function encodeGguf(
  metadata: ReadonlyArray<readonly [string, GgufValue]>,
  tensors: readonly GgufTensor[],
): Uint8Array {
  const entries: Array<readonly [string, GgufValue]> = [
    ...metadata,
    ["general.alignment", gguf.u32(GGUF_ALIGNMENT)],
  ];
  const sink = new ByteSink();
  sink.bytes(new TextEncoder().encode("GGUF"));
  sink.u32(3);
  sink.u64(tensors.length);
  sink.u64(entries.length);
  for (const [key, value] of entries) {
    sink.string(key);
    writeValue(sink, value);
  }

  let offset = 0;
  for (const tensor of tensors) {
    const elements = tensor.shape.reduce((a, b) => a * b, 1);
    if (elements !== tensor.data.length) {
      throw new Error(
        `tensor ${tensor.name}: shape ${tensor.shape.join("x")} does not match ${tensor.data.length} values`,
      );
    }
    sink.string(tensor.name);
    sink.u32(tensor.shape.length);
    for (const dim of tensor.shape) sink.u64(dim);
    sink.u32(TENSOR_TYPE_F32);
    sink.u64(offset);
    offset += alignUp(tensor.data.byteLength, GGUF_ALIGNMENT);
  }
  sink.padTo(GGUF_ALIGNMENT);

  for (const tensor of tensors) {
    for (const value of tensor.data) sink.f32(value);
    sink.padTo(GGUF_ALIGNMENT);
  }
  return sink.result();
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
