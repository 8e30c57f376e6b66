import { z } from "zod";
import type { StateStore } from "../store.js";
import {
  type ClientMetadataDocuments,
  cleanName,
  isUrlClientId,
  MetadataDocumentError,
} from "./client-metadata.js";
import { normalisedRedirectUri, redirectUriProblem } from "./redirect-uri.js";
import {
  constantTimeEqual,
  digest,
  isValidChallenge,
  newId,
  newSecret,
  seal,
  unseal,
  verifyPkce,
} from "./secrets.js";

/**
 * The authorization server's protocol logic, free of HTTP: clients named by a metadata document
 * (CIMD) or by dynamic client registration (RFC 7591, deprecated by MCP 2026-07-28 but kept for older
 * clients), pending authorization requests, single-use codes with S256 PKCE, audience-bound access tokens
 * (RFC 8707), rotating refresh tokens with reuse detection, and revocation (RFC 7009). Every record
 * lives in the state store under the SHA-256 of its secret.
 */
export const SCOPE = "mcp";

/** What travels with a grant, sealed under each code or token that can unlock it. */
export interface GrantSecrets {
  email: string;
  cognito: { idToken: string; refreshToken: string };
  encryptionPassword: string | undefined;
}

export interface RegisteredClient {
  client_id: string;
  client_name: string | undefined;
  redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  token_endpoint_auth_method: "none";
  client_id_issued_at: number;
  /** Not part of RFC 7591's response; when this registration lapses (MCP_OAUTH_CLIENT_TTL). */
  expires_at: number;
}

/** Who asks for access, as the consent page names them. */
export interface ClientIdentity {
  clientId: string;
  /** Declared at registration, or published in the client's metadata document: never verified. */
  name: string | undefined;
  /** The host serving the client's metadata document; undefined for a dynamically registered client. */
  documentHost: string | undefined;
}

export interface AuthorizationRequest {
  clientId: string;
  /** Kept with the pending request, so the approval shows what the page showed without a refetch. */
  client: ClientIdentity;
  redirectUri: string;
  codeChallenge: string;
  state: string | undefined;
  resource: string;
  scope: string;
}

export interface AccessGrant {
  clientId: string;
  sub: string;
  familyId: string;
  scope: string;
  resource: string;
  expiresAt: number;
}

export interface IssuedTokens {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token: string;
  scope: string;
}

/** An OAuth error as RFC 6749 §5.2 / RFC 7591 §3.2.2 spell it. */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
  ) {
    super(description);
  }
}

export interface OAuthSettings {
  /** This server's MCP endpoint URL: the only audience its tokens are for. */
  resource: string;
  codeTtlSeconds: number;
  clientTtlSeconds: number;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** How long a rendered sign-in page stays valid. */
  pendingTtlSeconds?: number;
}

const codeRecordSchema = z.object({
  clientId: z.string(),
  redirectUri: z.string(),
  codeChallenge: z.string(),
  resource: z.string(),
  scope: z.string(),
  sub: z.string(),
  sealed: z.string(),
});

const tokenRecordSchema = z.object({
  clientId: z.string(),
  sub: z.string(),
  familyId: z.string(),
  scope: z.string(),
  resource: z.string(),
  expiresAt: z.number(),
  sealed: z.string(),
});
type TokenRecord = z.infer<typeof tokenRecordSchema>;

const familyRecordSchema = z.object({
  clientId: z.string(),
  sub: z.string(),
  accessHash: z.string(),
  refreshHash: z.string(),
  revoked: z.boolean(),
});
type FamilyRecord = z.infer<typeof familyRecordSchema>;

const pendingSchema = z.object({
  clientId: z.string(),
  // Optional only for pages opened before an upgrade (a rolling deploy sharing Redis).
  client: z
    .object({ clientId: z.string(), name: z.string().optional(), documentHost: z.string().optional() })
    .optional(),
  redirectUri: z.string(),
  codeChallenge: z.string(),
  state: z.string().optional(),
  resource: z.string(),
  scope: z.string(),
});

function pendingRequest(saved: z.infer<typeof pendingSchema>): AuthorizationRequest {
  const client = saved.client;
  return {
    ...saved,
    state: saved.state,
    client: { clientId: saved.clientId, name: client?.name, documentHost: client?.documentHost },
  };
}

const registrationSchema = z.object({
  redirect_uris: z.array(z.string()).min(1).max(10),
  client_name: z.string().optional(),
  grant_types: z.array(z.string()).optional(),
  response_types: z.array(z.string()).optional(),
  token_endpoint_auth_method: z.string().optional(),
  scope: z.string().optional(),
});

const KEY = {
  client: (id: string) => `oauth:client:${id}`,
  pending: (hash: string) => `oauth:pending:${hash}`,
  code: (hash: string) => `oauth:code:${hash}`,
  usedCode: (hash: string) => `oauth:code-used:${hash}`,
  access: (hash: string) => `oauth:access:${hash}`,
  refresh: (hash: string) => `oauth:refresh:${hash}`,
  usedRefresh: (hash: string) => `oauth:refresh-used:${hash}`,
  family: (id: string) => `oauth:family:${id}`,
  /** Never overwritten by a rotation, so a revocation racing a refresh still wins. */
  revoked: (id: string) => `oauth:revoked:${id}`,
};

const SEAL = { code: "code", access: "access", refresh: "refresh" } as const;

function parse<T>(schema: z.ZodType<T>, text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    const result = schema.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}

/** RFC 8707 resource values are compared without a trailing slash or fragment. */
export function canonicalResource(value: string): string | undefined {
  if (!URL.canParse(value)) return undefined;
  const url = new URL(value);
  url.hash = "";
  return url.href.replace(/\/+$/, "");
}

export class OAuthService {
  readonly resource: string;

  constructor(
    private readonly store: StateStore,
    private readonly settings: OAuthSettings,
    private readonly now: () => number = Date.now,
    /** Client ID Metadata Documents; without it, URL client ids are refused (MCP_OAUTH_CIMD=false). */
    private readonly documents?: ClientMetadataDocuments,
  ) {
    this.resource = canonicalResource(settings.resource) ?? settings.resource;
  }

  // Registration (RFC 7591) ------------------------------------------------------------------------

  async register(body: unknown): Promise<RegisteredClient> {
    const parsed = registrationSchema.safeParse(body);
    if (!parsed.success) {
      throw new OAuthError("invalid_client_metadata", "redirect_uris must be a list of 1 to 10 URIs.");
    }
    const metadata = parsed.data;
    for (const uri of metadata.redirect_uris) {
      const problem = redirectUriProblem(uri);
      if (problem)
        throw new OAuthError(
          "invalid_redirect_uri",
          `Redirect URI ${JSON.stringify(uri.slice(0, 200))} ${problem}.`,
        );
    }
    const grantTypes = metadata.grant_types ?? ["authorization_code", "refresh_token"];
    if (!grantTypes.every((grant) => grant === "authorization_code" || grant === "refresh_token")) {
      throw new OAuthError(
        "invalid_client_metadata",
        "Only the authorization_code and refresh_token grants are supported.",
      );
    }
    const responseTypes = metadata.response_types ?? ["code"];
    if (!responseTypes.every((type) => type === "code")) {
      throw new OAuthError("invalid_client_metadata", "Only the code response type is supported.");
    }
    const issuedAt = Math.floor(this.now() / 1000);
    // Public clients only: a secret issued to an app running on a person's machine protects nothing, so
    // any requested authentication method is answered with "none" (RFC 7591 §3.2.1 lets the server decide).
    const client: RegisteredClient = {
      client_id: newId(),
      client_name: cleanName(metadata.client_name),
      redirect_uris: [...new Set(metadata.redirect_uris.map(normalisedRedirectUri))],
      grant_types: grantTypes,
      response_types: responseTypes,
      token_endpoint_auth_method: "none",
      client_id_issued_at: issuedAt,
      expires_at: issuedAt + this.settings.clientTtlSeconds,
    };
    await this.store.set(
      KEY.client(client.client_id),
      JSON.stringify(client),
      this.settings.clientTtlSeconds,
    );
    return client;
  }

  async client(clientId: string): Promise<RegisteredClient | undefined> {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(clientId)) return undefined;
    const text = await this.store.get(KEY.client(clientId));
    return text === undefined ? undefined : (JSON.parse(text) as RegisteredClient);
  }

  get acceptsMetadataDocuments(): boolean {
    return this.documents !== undefined;
  }

  /** The client behind a client_id: its metadata document for a URL, else its registration. */
  async #identify(clientId: string): Promise<{ identity: ClientIdentity; redirectUris: string[] }> {
    if (!isUrlClientId(clientId)) {
      const client = await this.client(clientId);
      if (!client)
        throw new UntrustedRequestError(
          "This application is not registered here, or its registration has expired. Reconnect it from your MCP client.",
        );
      const identity = { clientId, name: client.client_name, documentHost: undefined };
      return { identity, redirectUris: client.redirect_uris };
    }
    const shown = JSON.stringify(clientId.slice(0, 200));
    if (!this.documents) {
      throw new UntrustedRequestError(
        `This application identifies itself by the address ${shown}, but this server does not accept client ID metadata documents. Ask its administrator, or connect with a client that registers itself.`,
      );
    }
    try {
      const document = await this.documents.resolve(clientId);
      const identity = { clientId, name: document.client_name, documentHost: new URL(clientId).host };
      return { identity, redirectUris: document.redirect_uris };
    } catch (error) {
      if (!(error instanceof MetadataDocumentError)) throw error;
      throw new UntrustedRequestError(
        `This application identifies itself by the document at ${shown}, which cannot be used: ${error.message}. Tell the application's developer.`,
      );
    }
  }

  /** The client of a pending request, as its page showed it; undefined once a registration lapsed. */
  async pendingClient(request: AuthorizationRequest): Promise<ClientIdentity | undefined> {
    if (request.client.documentHost !== undefined) return request.client;
    const client = await this.client(request.clientId);
    return client && { clientId: client.client_id, name: client.client_name, documentHost: undefined };
  }

  // Authorization ----------------------------------------------------------------------------------

  /**
   * Checks an authorization request. Problems with the client or redirect URI are thrown as
   * `untrusted` (shown on the page, never redirected: the redirect target is not known to be safe);
   * others are thrown as OAuthErrors to send back to the verified redirect URI.
   */
  async validateAuthorization(
    params: URLSearchParams,
  ): Promise<{ client: ClientIdentity; request: AuthorizationRequest }> {
    const clientId = params.get("client_id") ?? "";
    const { identity, redirectUris } = await this.#identify(clientId);
    const redirectUri = params.get("redirect_uri") ?? "";
    if (!redirectUris.includes(redirectUri)) {
      throw new UntrustedRequestError(
        identity.documentHost === undefined
          ? "The redirect address does not exactly match one this application registered."
          : "The redirect address does not exactly match one listed in this application's metadata document.",
      );
    }
    const state = params.get("state") ?? undefined;
    const fail = (error: string, description: string) =>
      new RedirectableError(error, description, redirectUri, state);
    if (params.get("response_type") !== "code")
      throw fail("unsupported_response_type", "response_type must be code.");
    const challenge = params.get("code_challenge") ?? "";
    if (params.get("code_challenge_method") !== "S256" || !isValidChallenge(challenge)) {
      throw fail("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256.");
    }
    const requested = params.getAll("resource");
    if (requested.length > 1) throw fail("invalid_target", "Give at most one resource.");
    const resource = requested[0] === undefined ? this.resource : canonicalResource(requested[0]);
    if (resource !== this.resource)
      throw fail("invalid_target", `Tokens here are only for ${this.resource}.`);
    const scopes = (params.get("scope") ?? SCOPE).split(" ").filter(Boolean);
    if (!scopes.every((scope) => scope === SCOPE)) throw fail("invalid_scope", `The only scope is ${SCOPE}.`);
    return {
      client: identity,
      request: {
        clientId,
        client: identity,
        redirectUri,
        codeChallenge: challenge,
        state,
        resource,
        scope: SCOPE,
      },
    };
  }

  /** Remembers a validated request while the person reads the page; the returned id goes in the form. */
  async savePending(request: AuthorizationRequest): Promise<string> {
    const id = newSecret("rmcp_pa");
    await this.store.set(
      KEY.pending(digest(id)),
      JSON.stringify(request),
      this.settings.pendingTtlSeconds ?? 600,
    );
    return id;
  }

  async pending(id: string): Promise<AuthorizationRequest | undefined> {
    const saved = parse(pendingSchema, await this.store.get(KEY.pending(digest(id))));
    return saved ? pendingRequest(saved) : undefined;
  }

  /** Consumes the pending request (one approval per page) and issues a single-use code for it. */
  async approve(
    pendingId: string,
    person: { sub: string },
    secrets: GrantSecrets,
  ): Promise<{ code: string; request: AuthorizationRequest }> {
    const request = parse(pendingSchema, await this.store.take(KEY.pending(digest(pendingId))));
    if (!request)
      throw new UntrustedRequestError(
        "This sign-in page has expired or was already used. Start again from your MCP client.",
      );
    const code = newSecret("rmcp_code");
    const record = {
      clientId: request.clientId,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      resource: request.resource,
      scope: request.scope,
      sub: person.sub,
      sealed: seal(code, SEAL.code, JSON.stringify(secrets)),
    };
    await this.store.set(KEY.code(digest(code)), JSON.stringify(record), this.settings.codeTtlSeconds);
    return { code, request: pendingRequest(request) };
  }

  async deny(pendingId: string): Promise<AuthorizationRequest | undefined> {
    const request = parse(pendingSchema, await this.store.take(KEY.pending(digest(pendingId))));
    return request ? pendingRequest(request) : undefined;
  }

  // Token endpoint ---------------------------------------------------------------------------------

  async token(form: URLSearchParams): Promise<IssuedTokens> {
    const grantType = form.get("grant_type");
    if (grantType === "authorization_code") return this.#exchangeCode(form);
    if (grantType === "refresh_token") return this.#refresh(form);
    throw new OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token.");
  }

  #checkResource(form: URLSearchParams, bound: string): void {
    const requested = form.get("resource");
    if (requested !== null && canonicalResource(requested) !== bound) {
      throw new OAuthError("invalid_target", `This grant is only for ${bound}.`);
    }
  }

  async #exchangeCode(form: URLSearchParams): Promise<IssuedTokens> {
    const code = form.get("code");
    const clientId = form.get("client_id");
    const verifier = form.get("code_verifier");
    const redirectUri = form.get("redirect_uri");
    if (!code || !clientId || !verifier || !redirectUri) {
      throw new OAuthError(
        "invalid_request",
        "code, client_id, code_verifier and redirect_uri are required.",
      );
    }
    const codeHash = digest(code);
    // Redeemed in one atomic step: of two concurrent requests with the same code, only one gets it.
    const record = parse(
      codeRecordSchema,
      await this.store.take(KEY.code(codeHash), {
        key: KEY.usedCode(codeHash),
        ttlSeconds: this.settings.refreshTokenTtlSeconds,
      }),
    );
    if (!record) {
      // OAuth 2.1 §4.1.3: a code used twice suggests theft, so the tokens it produced are revoked too.
      const used = await this.store.get(KEY.usedCode(codeHash));
      if (used !== undefined) await this.#revokeFamily(familyOf(codeHash));
      throw new OAuthError("invalid_grant", "The authorization code is invalid, expired or already used.");
    }
    if (record.clientId !== clientId)
      throw new OAuthError("invalid_grant", "The code was issued to another client.");
    if (record.redirectUri !== redirectUri)
      throw new OAuthError("invalid_grant", "redirect_uri does not match the authorization request.");
    if (!verifyPkce(verifier, record.codeChallenge))
      throw new OAuthError("invalid_grant", "code_verifier does not match the code_challenge.");
    this.#checkResource(form, record.resource);
    const secrets = unseal(code, SEAL.code, record.sealed);
    if (secrets === undefined) throw new OAuthError("invalid_grant", "The authorization code is invalid.");
    return this.#issue(
      {
        clientId,
        sub: record.sub,
        scope: record.scope,
        resource: record.resource,
        familyId: familyOf(codeHash),
      },
      secrets,
    );
  }

  async #refresh(form: URLSearchParams): Promise<IssuedTokens> {
    const refreshToken = form.get("refresh_token");
    const clientId = form.get("client_id");
    if (!refreshToken || !clientId)
      throw new OAuthError("invalid_request", "refresh_token and client_id are required.");
    const hash = digest(refreshToken);
    const record = parse(
      tokenRecordSchema,
      await this.store.take(KEY.refresh(hash), {
        key: KEY.usedRefresh(hash),
        ttlSeconds: this.settings.refreshTokenTtlSeconds,
      }),
    );
    if (!record) {
      // A rotated-out refresh token coming back means two parties hold it: end the whole grant.
      const used = parse(tokenRecordSchema, await this.store.get(KEY.usedRefresh(hash)));
      if (used) await this.#revokeFamily(used.familyId);
      throw new OAuthError("invalid_grant", "The refresh token is invalid, expired or already used.");
    }
    if (record.clientId !== clientId) {
      await this.#revokeFamily(record.familyId);
      throw new OAuthError("invalid_grant", "The refresh token was issued to another client.");
    }
    this.#checkResource(form, record.resource);
    const family = parse(familyRecordSchema, await this.store.get(KEY.family(record.familyId)));
    const revoked = await this.store.get(KEY.revoked(record.familyId));
    if (!family || family.revoked || revoked !== undefined || !constantTimeEqual(family.refreshHash, hash)) {
      throw new OAuthError("invalid_grant", "This grant has been revoked. Sign in again.");
    }
    const secrets = unseal(refreshToken, SEAL.refresh, record.sealed);
    if (secrets === undefined) throw new OAuthError("invalid_grant", "The refresh token is invalid.");
    // The access token of the previous pair ends with the rotation.
    await this.store.delete(KEY.access(family.accessHash));
    return this.#issue(record, secrets);
  }

  async #issue(
    grant: { clientId: string; sub: string; scope: string; resource: string; familyId: string },
    secrets: string,
  ): Promise<IssuedTokens> {
    const accessToken = newSecret("rmcp_at");
    const refreshToken = newSecret("rmcp_rt");
    const accessHash = digest(accessToken);
    const refreshHash = digest(refreshToken);
    const nowMs = this.now();
    const base = {
      clientId: grant.clientId,
      sub: grant.sub,
      familyId: grant.familyId,
      scope: grant.scope,
      resource: grant.resource,
    };
    const access: TokenRecord = {
      ...base,
      expiresAt: nowMs + this.settings.accessTokenTtlSeconds * 1000,
      sealed: seal(accessToken, SEAL.access, secrets),
    };
    const refresh: TokenRecord = {
      ...base,
      expiresAt: nowMs + this.settings.refreshTokenTtlSeconds * 1000,
      sealed: seal(refreshToken, SEAL.refresh, secrets),
    };
    const family: FamilyRecord = {
      clientId: grant.clientId,
      sub: grant.sub,
      accessHash,
      refreshHash,
      revoked: false,
    };
    await Promise.all([
      this.store.set(KEY.access(accessHash), JSON.stringify(access), this.settings.accessTokenTtlSeconds),
      this.store.set(KEY.refresh(refreshHash), JSON.stringify(refresh), this.settings.refreshTokenTtlSeconds),
      this.store.set(
        KEY.family(grant.familyId),
        JSON.stringify(family),
        this.settings.refreshTokenTtlSeconds,
      ),
    ]);
    return {
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: this.settings.accessTokenTtlSeconds,
      refresh_token: refreshToken,
      scope: grant.scope,
    };
  }

  async #revokeFamily(familyId: string): Promise<void> {
    await this.store.set(KEY.revoked(familyId), "1", this.settings.refreshTokenTtlSeconds);
    const family = parse(familyRecordSchema, await this.store.get(KEY.family(familyId)));
    if (!family || family.revoked) return;
    await this.store.delete(KEY.access(family.accessHash), KEY.refresh(family.refreshHash));
    await this.store.set(
      KEY.family(familyId),
      JSON.stringify({ ...family, revoked: true }),
      this.settings.refreshTokenTtlSeconds,
    );
  }

  // Resource server --------------------------------------------------------------------------------

  /** The grant behind a bearer token, or undefined when it is unknown, expired, revoked or for another resource. */
  async verifyAccessToken(token: string): Promise<AccessGrant | undefined> {
    if (token.length > 200) return undefined;
    const record = parse(tokenRecordSchema, await this.store.get(KEY.access(digest(token))));
    if (!record || record.expiresAt <= this.now()) return undefined;
    if ((await this.store.get(KEY.revoked(record.familyId))) !== undefined) return undefined;
    // RFC 8707: a token minted for another resource (another deployment) is not accepted here.
    if (record.resource !== this.resource) return undefined;
    return {
      clientId: record.clientId,
      sub: record.sub,
      familyId: record.familyId,
      scope: record.scope,
      resource: record.resource,
      expiresAt: record.expiresAt,
    };
  }

  /** The person's secrets, which only the bearer of the token can unseal. */
  async grantSecrets(token: string): Promise<GrantSecrets | undefined> {
    const record = parse(tokenRecordSchema, await this.store.get(KEY.access(digest(token))));
    const text = record ? unseal(token, SEAL.access, record.sealed) : undefined;
    return text === undefined ? undefined : (JSON.parse(text) as GrantSecrets);
  }

  /** RFC 7009: revokes the token's whole grant when it belongs to the client; says nothing either way. */
  async revoke(form: URLSearchParams): Promise<void> {
    const token = form.get("token");
    const clientId = form.get("client_id");
    if (!token || !clientId) throw new OAuthError("invalid_request", "token and client_id are required.");
    const hash = digest(token);
    for (const key of [KEY.access(hash), KEY.refresh(hash)]) {
      const record = parse(tokenRecordSchema, await this.store.get(key));
      if (record && record.clientId === clientId) await this.#revokeFamily(record.familyId);
    }
  }
}

/** The family id follows from the code, so a replayed code can find the tokens it produced. */
function familyOf(codeHash: string): string {
  return digest(`family:${codeHash}`);
}

/** The request cannot be trusted to redirect (unknown client, unregistered redirect URI). */
export class UntrustedRequestError extends Error {}

/** A problem reported to the client at its verified redirect URI (RFC 6749 §4.1.2.1). */
export class RedirectableError extends OAuthError {
  constructor(
    error: string,
    description: string,
    readonly redirectUri: string,
    readonly state: string | undefined,
  ) {
    super(error, description);
  }
}
