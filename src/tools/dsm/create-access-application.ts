import { z } from "zod";
import { generateKeyPair, importPublicJwk, sealPrivateKey } from "../../crypto/maxcryptor.js";
import { accessApplicationSchema } from "../../dsm/projection.js";
import { assertKnownSchemas } from "../../schemas/loader.js";
import { defineTool } from "../core/tool.js";

const inputSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  description: z.string().trim().max(2_000).optional(),
  schemas: z
    .array(z.string().min(1).max(100))
    .max(30)
    .optional()
    .describe("System schema names (from list_schemas) that its forms may ask for. Omit: any"),
});

/** v1.17's shape: the payload under `data`, the id under its documented name. */
const outputSchema = z.object({
  data: accessApplicationSchema
    .omit({ id: true })
    .extend({ access_application_id: z.string(), key_bits: z.number() }),
});

export default defineTool({
  name: "create_access_application",
  title: "Create access application",
  description:
    "Create a DSM access application: the encrypted inbox for personal data. Generates its key pair here; only this account can open it. schemas limits what its forms may ask for (omit: the forms decide). Next: create_form.",
  domain: "dsm",
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  inputSchema,
  outputSchema,
  async handler(input, { dsm }) {
    const schemas = [...new Set(input.schemas ?? [])];
    assertKnownSchemas(schemas);
    await dsm.proveEncryptionPassword();
    const owner = importPublicJwk((await dsm.userKey()).public_key);
    const bits = dsm.keyBits;
    const pair = await generateKeyPair({ bits });
    // The private key leaves this function only sealed to the owner's public key (docs/crypto.md, Keys).
    const sealed = sealPrivateKey(pair.privateKey, owner.key);
    const { id, ...application } = await dsm.createApplication({
      name: input.name,
      description: input.description,
      schemas,
      publicKey: pair.publicJwk,
      sealedPrivateKey: sealed,
    });
    return { data: { access_application_id: id, ...application, key_bits: bits } };
  },
  summarize: ({ data }) =>
    `Created access application ${data.access_application_id} with a new ${data.key_bits}-bit key pair; its private key is stored sealed to this account. Next: create_form with this access_application_id.`,
});
