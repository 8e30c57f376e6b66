import { z } from "zod";
import {
  GUARDRAIL_SCOPES,
  GUARDRAIL_SEVERITIES,
  MCP_TRANSPORTS,
  SCORER_KINDS,
  WORKER_STATUSES,
} from "../../wrm/types.js";
import { idParam } from "../core/schemas.js";

/** save_wrm_entity payloads: every field optional, so one shape serves create and partial update. */
const name = z.string().trim().min(1).max(200);
const description = z.string().max(2000).nullable();
const settings = z.record(z.string(), z.unknown());

export const savePayloadSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("worker"),
    name: name.optional(),
    purpose: description.optional(),
    status: z.enum(WORKER_STATUSES).optional(),
    model_stack_id: idParam("Model stack id; null clears").nullable().optional(),
  }),
  z.strictObject({
    kind: z.literal("model_stack"),
    name: name.optional(),
    provider: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_.-]{0,49}$/)
      .optional()
      .describe("e.g. anthropic, openai"),
    model: z.string().min(1).max(200).optional(),
    parameters: settings.optional().describe("e.g. temperature, max_tokens"),
    fallbacks: z
      .array(z.strictObject({ provider: z.string().min(1).max(50), model: z.string().min(1).max(200) }))
      .max(10)
      .optional()
      .describe("Tried in order"),
  }),
  z.strictObject({
    kind: z.literal("mcp_server"),
    name: name.optional(),
    transport: z.enum(MCP_TRANSPORTS).optional(),
    endpoint: z.string().min(1).max(2000).optional().describe("URL (http) or command (stdio)"),
    description: description.optional(),
    enabled: z.boolean().optional(),
  }),
  z.strictObject({
    kind: z.literal("mcp_tool"),
    mcp_server_id: idParam("Server exposing it").optional(),
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,128}$/)
      .optional(),
    description: description.optional(),
    read_only: z.boolean().optional(),
    enabled: z.boolean().optional(),
  }),
  z.strictObject({
    kind: z.literal("role"),
    name: name.optional(),
    description: description.optional(),
    instructions: z.string().max(20_000).optional(),
  }),
  z.strictObject({
    kind: z.literal("guardrail"),
    name: name.optional(),
    rule: z.string().min(1).max(4000).optional(),
    scope: z.enum(GUARDRAIL_SCOPES).optional(),
    severity: z.enum(GUARDRAIL_SEVERITIES).optional(),
    enabled: z.boolean().optional(),
  }),
  z.strictObject({
    kind: z.literal("eval_scorer"),
    name: name.optional(),
    scorer_kind: z.enum(SCORER_KINDS).optional(),
    description: description.optional(),
    config: settings.optional(),
  }),
]);
export type SavePayload = z.output<typeof savePayloadSchema>;
