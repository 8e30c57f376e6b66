import { RaytioError } from "../../src/errors.js";

/** The RaytioError `action` throws; fails the test if it returns or throws anything else. */
export function raytioErrorFrom(action: () => unknown): RaytioError {
  try {
    action();
  } catch (error) {
    if (error instanceof RaytioError) return error;
    throw error;
  }
  throw new Error("expected a RaytioError");
}

/** The RaytioError `promise` rejects with; fails the test if it resolves or rejects otherwise. */
export async function raytioRejectionFrom(promise: Promise<unknown>): Promise<RaytioError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RaytioError) return error;
    throw error;
  }
  throw new Error("expected a RaytioError");
}
