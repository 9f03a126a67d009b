/**
 * A random-weight llama GGUF of a chosen shape, for speed measurements at a realistic size (the tiny
 * test model is too small for its decode time to be dominated by matrix work). The tokenizer is the tiny
 * model's kind (byte-level BPE learned from a short text) padded with unused tokens up to `vocabSize`,
 * so the output layer costs what a real vocabulary's does. The output is noise.
 *
 * As in the tiny model, residual dimension 0 holds a constant that no layer writes, and the output rows
 * of control tokens and non-printable bytes weigh it strongly negative: greedy generation never ends at
 * an end-of-generation token, so every run decodes the tokens it asks for.
 */
import { mulberry32 } from "../../src/core/shared/random.js";
import { trainByteBpe } from "../../src/providers/gguf/byte-bpe.js";
import { encodeGguf, type GgufTensor, type GgufValue, gguf } from "../../src/providers/gguf/gguf-writer.js";

export interface LlamaShape {
  embedding: number;
  blocks: number;
  feedForward: number;
  heads: number;
  headsKv: number;
  vocabSize: number;
  contextLength: number;
}

/** About 155 M parameters; every matrix dimension is a multiple of 256, so k-quants apply to all of them. */
export const SHAPE_155M: LlamaShape = {
  embedding: 768,
  blocks: 15,
  feedForward: 2048,
  heads: 12,
  headsKv: 12,
  vocabSize: 32_000,
  contextLength: 2048,
};

export function parameterCount(shape: LlamaShape): number {
  const d = shape.embedding;
  const kv = (d / shape.heads) * shape.headsKv;
  const block = 2 * d + d * d * 2 + d * kv * 2 + 3 * d * shape.feedForward;
  return 2 * d * shape.vocabSize + d + shape.blocks * block;
}

const CORPUS = `
The quick brown fox jumps over the lazy dog. Write a TypeScript function that parses a CSV line into
fields, handling quoted fields. The first token takes the longest, because the whole prompt is read first;
the tokens after it come one by one, as fast as the machine can compute them.
function parse(line: string): string[] { const fields: string[] = []; return fields; }
def read_lines(path: str) -> list[str]:
    with open(path, "r", encoding="utf-8") as handle:
        return [line.rstrip() for line in handle]
`;

const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const CONSTANT_DIM_VALUE = 4;
const SUPPRESS_WEIGHT = -100;

/** The GGUF (F32 tensors) of a random llama model of `shape`; deterministic for a seed. */
export function buildRandomLlama(shape: LlamaShape, seed = 1): Uint8Array {
  const { tokens: bpe, merges } = trainByteBpe(CORPUS, 200);
  const special = ["<|bos|>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"];
  const padding = shape.vocabSize - bpe.length - special.length;
  if (padding < 0) throw new Error(`vocabSize must be at least ${bpe.length + special.length}`);
  const pads = Array.from({ length: padding }, (_, i) => `<unused${i}>`);
  const tokens = [...bpe, ...pads, ...special];
  const controlFrom = bpe.length + padding;
  // llama_token_type: 1 normal, 3 control. The padding tokens are normal ones no merge reaches (llama.cpp
  // scans a prompt for every non-normal token's text, so 31 k "unused" tokens would slow tokenizing).
  const types = tokens.map((_, id) => (id < controlFrom ? 1 : 3));
  const idOf = (text: string): number => tokens.indexOf(text);
  const d = shape.embedding;
  const metadata: Array<readonly [string, GgufValue]> = [
    ["general.architecture", gguf.str("llama")],
    ["general.name", gguf.str("orket-random-llama (random weights: output is noise)")],
    ["general.file_type", gguf.u32(0)],
    ["llama.context_length", gguf.u32(shape.contextLength)],
    ["llama.embedding_length", gguf.u32(d)],
    ["llama.block_count", gguf.u32(shape.blocks)],
    ["llama.feed_forward_length", gguf.u32(shape.feedForward)],
    ["llama.attention.head_count", gguf.u32(shape.heads)],
    ["llama.attention.head_count_kv", gguf.u32(shape.headsKv)],
    ["llama.attention.layer_norm_rms_epsilon", gguf.f32(1e-5)],
    ["llama.rope.dimension_count", gguf.u32(d / shape.heads)],
    ["llama.rope.freq_base", gguf.f32(10000)],
    ["llama.vocab_size", gguf.u32(tokens.length)],
    ["tokenizer.ggml.model", gguf.str("gpt2")],
    ["tokenizer.ggml.pre", gguf.str("gpt-2")],
    ["tokenizer.ggml.tokens", gguf.strings(tokens)],
    ["tokenizer.ggml.token_type", gguf.i32s(types)],
    ["tokenizer.ggml.merges", gguf.strings(merges)],
    ["tokenizer.ggml.bos_token_id", gguf.u32(idOf("<|bos|>"))],
    ["tokenizer.ggml.eos_token_id", gguf.u32(idOf("<|endoftext|>"))],
    ["tokenizer.ggml.padding_token_id", gguf.u32(idOf("<|endoftext|>"))],
    ["tokenizer.ggml.add_bos_token", gguf.bool(false)],
    ["tokenizer.chat_template", gguf.str(CHATML_TEMPLATE)],
  ];

  const suppressed = (id: number): boolean =>
    id >= controlFrom || (id < 256 && ((id < 0x20 && id !== 0x0a) || id >= 0x7f));
  const rng = mulberry32(seed);
  const uniform = (count: number, scale: number): Float32Array => {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = (rng() * 2 - 1) * scale;
    return out;
  };
  const matrix = (fanIn: number, fanOut: number): Float32Array =>
    uniform(fanIn * fanOut, Math.sqrt(3 / fanIn));
  const ones = (count: number): Float32Array => new Float32Array(count).fill(1);
  const withoutRow0 = (data: Float32Array, rowLength: number): Float32Array => data.fill(0, 0, rowLength);
  const kv = (d / shape.heads) * shape.headsKv;
  const ff = shape.feedForward;

  const embeddings = uniform(d * tokens.length, 1);
  const output = matrix(d, tokens.length);
  for (let id = 0; id < tokens.length; id++) {
    embeddings[id * d] = CONSTANT_DIM_VALUE;
    output[id * d] = suppressed(id) ? SUPPRESS_WEIGHT : 0;
  }
  const tensors: GgufTensor[] = [
    { name: "token_embd.weight", shape: [d, tokens.length], data: embeddings },
    { name: "output_norm.weight", shape: [d], data: ones(d) },
    { name: "output.weight", shape: [d, tokens.length], data: output },
  ];
  for (let block = 0; block < shape.blocks; block++) {
    const p = `blk.${block}`;
    tensors.push(
      { name: `${p}.attn_norm.weight`, shape: [d], data: ones(d) },
      { name: `${p}.attn_q.weight`, shape: [d, d], data: matrix(d, d) },
      { name: `${p}.attn_k.weight`, shape: [d, kv], data: matrix(d, kv) },
      { name: `${p}.attn_v.weight`, shape: [d, kv], data: matrix(d, kv) },
      { name: `${p}.attn_output.weight`, shape: [d, d], data: withoutRow0(matrix(d, d), d) },
      { name: `${p}.ffn_norm.weight`, shape: [d], data: ones(d) },
      { name: `${p}.ffn_gate.weight`, shape: [d, ff], data: matrix(d, ff) },
      { name: `${p}.ffn_up.weight`, shape: [d, ff], data: matrix(d, ff) },
      { name: `${p}.ffn_down.weight`, shape: [ff, d], data: withoutRow0(matrix(ff, d), ff) },
    );
  }
  return encodeGguf(metadata, tensors);
}
