/**
 * One spelling for a quantization, whichever engine named it: llama.cpp's server reports its file type
 * as `llama_model_ftype_name` writes it (`Q4_K - Medium`, `IQ2_XXS - 2.0625 bpw`), a GGUF header's
 * `general.file_type` reads `Q4_K_M`, Ollama says `Q4_K_M`. The tag is the short form, upper-case, so
 * the same file gets the same tag on every engine; the engine's own name is kept beside it.
 */
const SIZES: Record<string, string> = { small: "S", medium: "M", large: "L" };

export function quantizationTag(name: string | null): string | null {
  if (name === null) return null;
  const text = name.trim();
  if (text === "") return null;
  const sized = /^(\S+) - (Small|Medium|Large)$/i.exec(text);
  if (sized?.[1] && sized[2]) return `${sized[1]}_${SIZES[sized[2].toLowerCase()]}`.toUpperCase();
  const bpw = /^(\S+) - [\d.]+ bpw$/i.exec(text);
  if (bpw?.[1]) return bpw[1].toUpperCase();
  return text.toUpperCase();
}
