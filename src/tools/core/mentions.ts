/**
 * Descriptions and messages may point to other tools ("find it with search_parties"). A pointer to a
 * tool this process does not expose would send a model to something it cannot call, so each text is
 * cut down to what is exposed: a parenthesis naming a hidden tool goes, then any clause (between
 * semicolons) or sentence that still names one. Written so that the first sentence of every tool
 * description names no other tool (a registry test checks every tool alone).
 *
 * A pure function of the text and the hidden names, so a tools/list built ahead of time can be
 * rewritten for any exposure without touching zod.
 */
export function withoutHiddenMentions(text: string, hidden: ReadonlySet<string>): string {
  if (hidden.size === 0) return text;
  // One character class, so matching stays linear however long a word in the text is.
  const names = (part: string) => part.match(/[A-Za-z0-9_]+/g) ?? [];
  const mentions = (part: string) => names(part).some((name) => hidden.has(name));
  if (!mentions(text)) return text;
  const withoutAsides = text.replace(/ ?\([^()]*\)/g, (aside) => (mentions(aside) ? "" : aside));
  const sentences = splitSentences(withoutAsides);
  const kept = sentences.map((sentence) => {
    if (!mentions(sentence)) return sentence;
    const end = /[.!?:]$/.exec(sentence)?.[0] ?? "";
    const body = end ? sentence.slice(0, -1) : sentence;
    const clauses = body.split(/;\s+/).filter((clause) => !mentions(clause));
    return clauses.length === 0 ? "" : `${clauses.join("; ")}${end}`;
  });
  return kept.filter(Boolean).join(" ");
}

/** Splits after . ! or ? and a space, except after an abbreviation such as "e.g.". */
function splitSentences(text: string): string[] {
  const sentences: string[] = [];
  for (const piece of text.split(/(?<=[.!?])\s+/)) {
    const last = sentences.length - 1;
    if (last >= 0 && /\b(?:e\.g|i\.e|etc)\.$/.test(sentences[last] ?? "")) sentences[last] += ` ${piece}`;
    else sentences.push(piece);
  }
  return sentences;
}

/** The same rewrite applied to every `description` inside a JSON Schema; returns a new object. */
export function schemaWithoutHiddenMentions<T>(schema: T, hidden: ReadonlySet<string>): T {
  if (hidden.size === 0) return schema;
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== "object") return node;
    const copy: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === "description" && typeof value === "string") {
        const text = withoutHiddenMentions(value, hidden);
        if (text) copy[key] = text;
      } else {
        copy[key] = walk(value);
      }
    }
    return copy;
  };
  return walk(schema) as T;
}
