import { z } from "zod";

/**
 * Some zod types (dates, maps, custom checks…) have no JSON Schema form, and the SDK's conversion
 * throws on them, which would break tools/list for every tool. Each such top-level field is offered to
 * clients as a JSON-encoded string instead (documented in its description) and decoded before the
 * tool's own schema validates it, so the tool still gets exactly the type it declared.
 */
export interface PreparedInput {
  /** What clients see and the SDK validates. */
  schema: z.ZodObject;
  /** Names of fields that fell back to the string form (a registry test lists them). */
  fallbacks: string[];
}

function representable(field: z.ZodType): boolean {
  try {
    z.toJSONSchema(field, { io: "input", unrepresentable: "throw" });
    return true;
  } catch {
    return false;
  }
}

export function prepareInputSchema(schema: z.ZodObject): PreparedInput {
  const fallbacks: string[] = [];
  const shape: Record<string, z.ZodType> = {};
  for (const [name, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    if (representable(field)) {
      shape[name] = field;
      continue;
    }
    fallbacks.push(name);
    const description = field.description ? `${field.description}. ` : "";
    const stringForm = z.string().describe(`${description}JSON-encoded value`);
    shape[name] = field.safeParse(undefined).success ? stringForm.optional() : stringForm;
  }
  return { schema: fallbacks.length === 0 ? schema : z.object(shape), fallbacks };
}

/** Turns fallback fields back into values; a string that is not JSON is passed on as the string. */
export function decodeFallbacks(input: unknown, fallbacks: readonly string[]): unknown {
  if (fallbacks.length === 0 || !input || typeof input !== "object") return input;
  const decoded: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  for (const name of fallbacks) {
    const value = decoded[name];
    if (typeof value !== "string") continue;
    try {
      decoded[name] = JSON.parse(value);
    } catch {
      decoded[name] = value;
    }
  }
  return decoded;
}
