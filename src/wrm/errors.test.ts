import { describe, expect, it } from "vitest";
import { RaytioError } from "../errors.js";
import { apiReason, toWrmError } from "./errors.js";

const refused = (status: number, apiCode: string, message: string) =>
  new RaytioError(
    "API_ERROR",
    `The Raytio API refused POST /db/v1/wrm_run_step (HTTP ${status} ${apiCode}): ${message}`,
    {
      details: { method: "POST", path: "/db/v1/wrm_run_step", status, apiCode },
    },
  );

describe("toWrmError", () => {
  it("turns a hidden or missing single object into WRM_NOT_FOUND naming both causes", () => {
    const error = toWrmError(new RaytioError("NOT_FOUND", "gone", { details: { status: 406 } }), {
      subject: "agent run 42",
    }) as RaytioError;
    expect(error.code).toBe("WRM_NOT_FOUND");
    expect(error.message).toMatch(
      /^agent run 42 was not found: it may not exist, or it may belong to another customer/,
    );
  });

  it("names the reference a foreign-key violation is about", () => {
    const error = toWrmError(refused(409, "23503", "agent run 7 is not present (wrm_run_step_run_fk)"), {
      references: { run_fk: "agent run 7", mcp_tool_fk: "MCP tool 9" },
    }) as RaytioError;
    expect(error.code).toBe("WRM_NOT_FOUND");
    expect(error.message).toMatch(/^agent run 7 was not found/);
  });

  it("reports refused values and duplicates as WRM_VALIDATION with the database's reason", () => {
    const finished = toWrmError(
      refused(400, "P0001", "agent run 7 is finished (succeeded): a finished run accepts no more steps"),
      {},
    ) as RaytioError;
    expect(finished.code).toBe("WRM_VALIDATION");
    expect(finished.message).toBe(
      "Refused by the Raytio API: agent run 7 is finished (succeeded): a finished run accepts no more steps",
    );
    const duplicate = toWrmError(refused(409, "23505", "duplicate key"), {
      duplicate: 'A role named "X"',
    }) as RaytioError;
    expect(duplicate.code).toBe("WRM_VALIDATION");
    expect(duplicate.message).toMatch(/^A role named "X" already exists/);
  });

  it("explains a write refused by row-level security and passes other errors through", () => {
    const refusedWrite = toWrmError(refused(403, "42501", "new row violates row-level security policy"), {});
    expect(refusedWrite).toMatchObject({
      code: "API_ERROR",
      message: expect.stringMatching(/WORKER_ADMINISTRATOR/),
    });
    const unavailable = new RaytioError("API_UNAVAILABLE", "down");
    expect(toWrmError(unavailable, { subject: "x" })).toBe(unavailable);
    const plain = new Error("boom");
    expect(toWrmError(plain, {})).toBe(plain);
  });
});

describe("apiReason", () => {
  it("strips the client's preamble", () => {
    expect(apiReason("The Raytio API refused PATCH /db/v1/x (HTTP 400 P0001): it broke")).toBe("it broke");
    expect(apiReason("plain")).toBe("plain");
  });
});
