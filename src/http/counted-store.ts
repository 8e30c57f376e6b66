import { telemetry } from "../telemetry.js";

/**
 * The shared store with every failed operation counted (raytio_mcp_redis_errors_total), whatever the
 * store offers: each method returning a promise is counted by its name when the promise rejects. The
 * failure itself still reaches the caller, which decides what it means.
 */
export function countingFailures<T extends object>(store: T): T {
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const result = (value as (...inner: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.catch((error: unknown) => {
          telemetry().storeError(String(property));
          throw error;
        });
      };
    },
  });
}
