import type { Tool } from "@modelcontextprotocol/server";
import { z } from "zod";
import { schemaWithoutHiddenMentions, withoutHiddenMentions } from "./mentions.js";
import { compactJsonSchema, type JsonSchema } from "./schema-compaction.js";
import { prepareInputSchema } from "./schema-fallback.js";
import type { AnyTool } from "./tool.js";

/** Any result may be cut to fit the response budget, so every output schema admits the flag saying so. */
export function withTruncatedFlag(schema: z.ZodObject): z.ZodObject {
  return "truncated" in schema.shape ? schema : schema.extend({ truncated: z.boolean().optional() });
}

/**
 * A tool's tools/list entry, derived from its definition alone (so it can be built ahead of time).
 * The input schema published is the tool's real one, unknown keys refused (additionalProperties:
 * false); the server validates arguments itself so a mistake becomes a VALIDATION result.
 */
export function toolListEntry(tool: AnyTool): Tool {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: jsonSchema(prepareInputSchema(tool.inputSchema).schema, "input") as Tool["inputSchema"],
    outputSchema: jsonSchema(withTruncatedFlag(tool.outputSchema), "output") as Tool["outputSchema"],
    // annotations.title repeats title, but a client of protocol 2025-03-26 knows only this one.
    annotations: { title: tool.title, ...tool.annotations },
    // A tool that waits for a person may run as an MCP task; every other tool answers in one request,
    // which is what a tool without `execution` means (taskSupport defaults to "forbidden").
    ...(tool.task ? { execution: { taskSupport: "optional" } } : {}),
  };
}

/** The same JSON Schema draft and pipe side the SDK's own conversion uses, written compactly. */
function jsonSchema(schema: z.ZodObject, io: "input" | "output"): JsonSchema {
  return compactJsonSchema(z.toJSONSchema(schema, { target: "draft-7", io }) as JsonSchema, io);
}

/**
 * The tools/list a process serves: the entries of its exposed tools, in registry order, each as
 * `entryForExposure` shows it. Both the SDK's handler and the early answers (src/early-answers.ts,
 * from entries built ahead of time) serve this, so the two lists are the same.
 */
export function exposedEntries(entries: readonly Tool[], hidden: ReadonlySet<string>): Tool[] {
  return entries.filter((entry) => !hidden.has(entry.name)).map((entry) => entryForExposure(entry, hidden));
}

/** An entry as one process shows it: every pointer to a hidden tool taken out of its texts. */
export function entryForExposure(entry: Tool, hidden: ReadonlySet<string>): Tool {
  if (hidden.size === 0) return entry;
  const { description, inputSchema, outputSchema } = entry;
  return {
    ...entry,
    ...(description === undefined ? {} : { description: withoutHiddenMentions(description, hidden) }),
    inputSchema: schemaWithoutHiddenMentions(inputSchema, hidden),
    ...(outputSchema === undefined
      ? {}
      : { outputSchema: schemaWithoutHiddenMentions(outputSchema, hidden) }),
  };
}
