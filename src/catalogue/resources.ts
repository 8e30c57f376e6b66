import {
  type McpServer,
  type RegisteredResourceTemplate,
  ResourceTemplate,
} from "@modelcontextprotocol/server";
import { RaytioError } from "../errors.js";
import { getSystemSchema, listSystemSchemas } from "../schemas/loader.js";

export const SCHEMA_URI_TEMPLATE = "raytio://schemas/{name}";

/**
 * The system schema catalogue as MCP resources, so clients that support resources can attach a
 * schema to a conversation without a tool call. Same data as list_schemas, one document per schema.
 */
export function registerSchemaResources(server: McpServer): RegisteredResourceTemplate {
  const registered: RegisteredResourceTemplate = server.registerResource(
    "raytio-schemas",
    new ResourceTemplate(SCHEMA_URI_TEMPLATE, {
      // The SDK's resources/list asks every template, enabled or not: a disabled one lists nothing.
      list: () => ({
        resources: (registered.enabled ? listSystemSchemas() : []).map((schema) => ({
          uri: `raytio://schemas/${schema.name}`,
          name: schema.name,
          title: schema.title,
          description: `${schema.description} Encrypted fields: ${schema.encrypted_fields.join(", ") || "none"}.`,
          mimeType: "application/json",
        })),
      }),
      complete: {
        name: (value) =>
          listSystemSchemas()
            .map((schema) => schema.name)
            .filter((name) => name.toLowerCase().startsWith(value.toLowerCase())),
      },
    }),
    {
      title: "Raytio system schemas",
      description:
        "Definitions of the personal data Raytio can request: fields, validation and which fields are encrypted.",
      mimeType: "application/json",
    },
    (uri, variables) => {
      const name = String(variables.name ?? "");
      const schema = getSystemSchema(name);
      if (!schema) {
        throw new RaytioError(
          "DSM_NOT_FOUND",
          `No system schema named ${name}. List them with list_schemas or resources/list.`,
        );
      }
      return {
        contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(schema, null, 2) }],
      };
    },
  );
  return registered;
}
