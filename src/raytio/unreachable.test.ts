import { describe, expect, it } from "vitest";
import { CognitoSrpFlow } from "./cognito-srp.js";
import { signInUnreachable } from "./unreachable.js";

describe("an unreachable sign-in address", () => {
  it("is named, with the setting that chose it; a remote one points at the network, a local one at the service", () => {
    const remote = signInUnreachable(
      "https://cognito-idp.eu-west-1.amazonaws.com/",
      "Cognito, NetworkError",
      "the region in RAYTIO_COGNITO_USER_POOL_ID",
      { cognitoError: "NetworkError" },
    );
    expect(remote.code).toBe("API_UNAVAILABLE");
    expect(remote.message).toMatch(
      /^Could not reach Raytio sign-in at https:\/\/cognito-idp\.eu-west-1\.amazonaws\.com\/ \(Cognito, NetworkError\)\. Check that this machine can reach it \(network, VPN, firewall; .*HTTP\(S\)_PROXY\)\. The address comes from the region in RAYTIO_COGNITO_USER_POOL_ID\./,
    );
    expect(remote.details).toEqual({
      cognitoError: "NetworkError",
      address: "https://cognito-idp.eu-west-1.amazonaws.com/",
    });
    for (const host of ["127.0.0.1:4010", "localhost:4010", "[::1]:4010"]) {
      const local = signInUnreachable(
        `http://${host}/cognito/`,
        "NetworkError",
        "RAYTIO_COGNITO_ENDPOINT",
        {},
      );
      expect(local.message).toContain("Nothing answered on this machine");
      expect(local.message).toContain("npm run sandbox");
    }
  });

  it("says a timeout is one, not that nothing answered", () => {
    const error = signInUnreachable(
      "http://127.0.0.1:4010/oauth/v1/token",
      "token endpoint, TimeoutError",
      "X",
      {},
    );
    expect(error.message).toContain("within RAYTIO_HTTP_TIMEOUT_SECONDS");
    expect(error.message).not.toContain("Nothing answered");
  });

  it("never shows user information an address may carry", () => {
    const error = signInUnreachable("https://user:s3cret@auth.example.com/x", "NetworkError", "X", {});
    expect(error.message).not.toContain("s3cret");
    expect(error.message).toContain("https://auth.example.com/x");
  });

  it("is where the Cognito library sends requests: the endpoint, else the pool's region on AWS", () => {
    const settings = { userPoolId: "eu-west-1_AbC", clientId: "client-1", region: "eu-west-1" };
    expect(new CognitoSrpFlow({ ...settings, endpoint: undefined }, 1_000).describe()).toContain(
      "Cognito SRP at https://cognito-idp.eu-west-1.amazonaws.com/",
    );
    expect(
      new CognitoSrpFlow({ ...settings, endpoint: "http://127.0.0.1:4010/cognito/" }, 1_000).describe(),
    ).toContain("Cognito SRP at http://127.0.0.1:4010/cognito/");
  });
});
