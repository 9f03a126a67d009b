/**
 * Byte-level BPE training, GPT-2 style: text is split with GPT-2's pre-tokenizer pattern, each piece's
 * UTF-8 bytes are mapped to printable characters (`bytesToUnicode`), and the most frequent adjacent pair
 * is merged, again and again. Deterministic: ties go to the pair whose text sorts first.
 */

/**
 * GPT-2's pre-tokenizer pattern, as llama.cpp applies it for `tokenizer.ggml.pre = "gpt-2"`. Training
 * with the same split keeps every learned merge reachable at inference time.
 */
const GPT2_PRE_TOKENIZER = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * GPT-2's reversible byte → character map: printable Latin-1 bytes map to themselves, the rest to code
 * points from U+0100 on, so every token is a printable string (a space becomes "Ġ", a newline "Ċ").
 */
export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const map: string[] = new Array<string>(256);
  for (const b of printable) map[b] = String.fromCodePoint(b);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (map[b] === undefined) {
      map[b] = String.fromCodePoint(256 + next);
      next++;
    }
  }
  return map;
}

export interface BpeVocabulary {
  /** The 256 byte tokens (index = byte value), then one token per merge that made a new string. */
  tokens: string[];
  /** Merges in rank order, each as `"left right"` in the mapped alphabet, as GGUF stores them. */
  merges: string[];
}

/** Learns up to `mergeCount` merges from `corpus`; stops early when no pair occurs twice. */
export function trainByteBpe(corpus: string, mergeCount: number): BpeVocabulary {
  const byteChars = bytesToUnicode();
  const encoder = new TextEncoder();
  const wordCounts = new Map<string, number>();
  for (const match of corpus.matchAll(GPT2_PRE_TOKENIZER)) {
    const mapped = Array.from(encoder.encode(match[0]), (b) => byteChars[b] ?? "").join("");
    wordCounts.set(mapped, (wordCounts.get(mapped) ?? 0) + 1);
  }
  const words = [...wordCounts].map(([word, count]) => ({ symbols: Array.from(word), count }));

  const tokens = [...byteChars];
  const known = new Set(tokens);
  const merges: string[] = [];
  for (let step = 0; step < mergeCount; step++) {
    const best = mostFrequentPair(words);
    if (best === undefined) break;
    const [left, right] = best;
    merges.push(`${left} ${right}`);
    const merged = left + right;
    if (!known.has(merged)) {
      known.add(merged);
      tokens.push(merged);
    }
    for (const word of words) word.symbols = applyMerge(word.symbols, left, right);
  }
  return { tokens, merges };
}

function mostFrequentPair(
  words: ReadonlyArray<{ symbols: string[]; count: number }>,
): [string, string] | undefined {
  const counts = new Map<string, { pair: [string, string]; count: number }>();
  for (const { symbols, count } of words) {
    for (let i = 0; i + 1 < symbols.length; i++) {
      const left = symbols[i] as string;
      const right = symbols[i + 1] as string;
      const key = `${left} ${right}`;
      const entry = counts.get(key);
      if (entry) entry.count += count;
      else counts.set(key, { pair: [left, right], count });
    }
  }
  let best: { key: string; pair: [string, string]; count: number } | undefined;
  for (const [key, { pair, count }] of counts) {
    if (count < 2) continue;
    if (!best || count > best.count || (count === best.count && key < best.key)) best = { key, pair, count };
  }
  return best?.pair;
}

function applyMerge(symbols: string[], left: string, right: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (symbols[i] === left && symbols[i + 1] === right) {
      out.push(left + right);
      i++;
    } else {
      out.push(symbols[i] as string);
    }
  }
  return out;
}
