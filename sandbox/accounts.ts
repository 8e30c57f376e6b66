/**
 * The sandbox's demo accounts: one per Raytio role the server maps to tool domains, one with no role
 * (exercises the all-domains fallback), and one in another customer (proves row-level security).
 * Ids and passwords are fixed so a persisted database and a fresh Cognito stand-in always agree.
 * These are sandbox-only credentials; they protect nothing real.
 */
export interface SandboxAccount {
  key: string;
  email: string;
  sub: string;
  displayName: string;
  customerId: string;
  groups: string[];
  password: string;
  encryptionPassword: string;
}

export const DEMO_CUSTOMER = "cust_demo";
export const OTHER_CUSTOMER = "cust_other";

const account = (
  key: string,
  displayName: string,
  groups: string[],
  sub: string,
  customerId: string = DEMO_CUSTOMER,
): SandboxAccount => ({
  key,
  email: `${key.replace(/_/g, ".")}@sandbox.raytio.test`,
  sub,
  displayName,
  customerId,
  groups,
  password: `Sandbox-${key}-pass1!`,
  encryptionPassword: `sandbox ${key} encryption passphrase`,
});

export const ACCOUNTS: readonly SandboxAccount[] = [
  account(
    "agent",
    "Demo Agent",
    ["DATA_SHARING_ADMINISTRATOR", "PROJECT_ADMINISTRATOR", "WORKER_ADMINISTRATOR"],
    "5b1f7e2a-0000-4000-8000-000000000001",
  ),
  account("project_user", "Priya Project-User", ["PROJECT_USER"], "5b1f7e2a-0000-4000-8000-000000000002"),
  account(
    "project_admin",
    "Pat Project-Admin",
    ["PROJECT_ADMINISTRATOR"],
    "5b1f7e2a-0000-4000-8000-000000000003",
  ),
  account("project_viewer", "Val Project-Viewer", ["PROJECT_VIEWER"], "5b1f7e2a-0000-4000-8000-000000000004"),
  account(
    "data_sharing_user",
    "Dana Data-User",
    ["DATA_SHARING_USER"],
    "5b1f7e2a-0000-4000-8000-000000000005",
  ),
  account(
    "data_sharing_admin",
    "Dev Data-Admin",
    ["DATA_SHARING_ADMINISTRATOR"],
    "5b1f7e2a-0000-4000-8000-000000000006",
  ),
  account(
    "worker_admin",
    "Wren Worker-Admin",
    ["WORKER_ADMINISTRATOR"],
    "5b1f7e2a-0000-4000-8000-000000000007",
  ),
  account("worker_viewer", "Wes Worker-Viewer", ["WORKER_VIEWER"], "5b1f7e2a-0000-4000-8000-000000000008"),
  account("no_roles", "Noa No-Roles", [], "5b1f7e2a-0000-4000-8000-000000000009"),
  account(
    "other_customer",
    "Olly Other-Customer",
    ["DATA_SHARING_ADMINISTRATOR", "PROJECT_ADMINISTRATOR", "WORKER_ADMINISTRATOR"],
    "5b1f7e2a-0000-4000-8000-00000000000a",
    OTHER_CUSTOMER,
  ),
];

export function accountByKey(key: string): SandboxAccount {
  const found = ACCOUNTS.find((candidate) => candidate.key === key || candidate.email === key);
  if (!found) {
    throw new Error(`Unknown sandbox account ${key}. Known: ${ACCOUNTS.map((a) => a.key).join(", ")}`);
  }
  return found;
}
