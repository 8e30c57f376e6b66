import type { z } from "zod";

/**
 * The parts of a zod 4 schema's definition that this project's schema walkers read (which fields are
 * marked third-party, which arguments are audit targets, the registry-wide tests). zod keeps them on
 * `_zod.def`, outside its typed API, so they are read through this one door.
 */
export interface ZodDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  left?: z.ZodType;
  right?: z.ZodType;
  items?: z.ZodType[];
  rest?: z.ZodType | null;
  entries?: Record<string, string>;
  values?: unknown[];
  getter?: () => z.ZodType;
}

export const defOf = (schema: z.ZodType): ZodDef => (schema as unknown as { _zod: { def: ZodDef } })._zod.def;
