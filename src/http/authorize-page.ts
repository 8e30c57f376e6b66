import { isLoopback } from "./oauth/redirect-uri.js";
import type { ClientIdentity } from "./oauth/service.js";
import { escapeHtml } from "./respond.js";

/**
 * The page a person sees when their MCP client asks for access. It says plainly which application is
 * asking and where the authorization code will be sent, before the person types anything. The name is
 * the application's own claim either way: a registered one is marked unverified (registration is open
 * to anyone); one from a metadata document is shown as the document's words with the host that serves
 * it, the only part a third party cannot choose (CIMD draft, "OAuth Phishing Attacks"). Every value is
 * escaped; passwords are never written back into the page.
 */
export interface AuthorizePageInput {
  client: ClientIdentity;
  redirectUri: string;
  pendingId: string;
  /** Echoed after a failed attempt so the person need not retype it; never a password. */
  email?: string;
  error?: string;
  actionPath: string;
}

const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;background:#f5f6f8;color:#1d2330;margin:0}
main{max-width:30rem;margin:3rem auto;background:#fff;border-radius:12px;padding:2rem;box-shadow:0 2px 12px #0001}
h1{font-size:1.4rem;margin:0 0 1rem}.who{background:#fff8e1;border:1px solid #f0d98a;border-radius:8px;padding:.8rem 1rem;margin-bottom:1.2rem}
.where{font-family:ui-monospace,monospace;word-break:break-all;font-size:.9rem;color:#444}
label{display:block;margin:.8rem 0 .2rem;font-weight:600}input{width:100%;box-sizing:border-box;padding:.55rem;border:1px solid #bbb;border-radius:6px;font:inherit}
.hint{font-size:.85rem;color:#555;margin:.2rem 0 0}.error{background:#fdecea;border:1px solid #f5c2bd;border-radius:8px;padding:.6rem 1rem;margin-bottom:1rem}
.buttons{display:flex;gap:.8rem;margin-top:1.4rem}button{flex:1;padding:.65rem;border-radius:6px;border:0;font:inherit;cursor:pointer}
.approve{background:#1f5eff;color:#fff}.deny{background:#e6e8ec;color:#1d2330}`;

export function renderAuthorizePage(input: AuthorizePageInput): string {
  const { client, redirectUri } = input;
  const name = client.name ? `“${escapeHtml(client.name)}”` : "An application that gave no name";
  const said =
    client.documentHost === undefined
      ? "<small>(name not verified)</small>"
      : `<small>(as it names itself in a document published at</small> <strong>${escapeHtml(client.documentHost)}</strong><small>)</small>`;
  const target = new URL(redirectUri);
  const host = escapeHtml(target.host);
  const loopback = isLoopback(redirectUri);
  const local = loopback ? " (a program on your own computer)" : "";
  // MCP 2026-07-28 asks for a warning here: a document cannot prove which local program receives the code.
  const localWarning =
    loopback && client.documentHost !== undefined
      ? `<p class="hint">Any program on your computer can use ${escapeHtml(client.documentHost)}'s document: it does not prove which program gets the code.</p>`
      : "";
  const error = input.error ? `<div class="error" role="alert">${escapeHtml(input.error)}</div>` : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>Sign in to Raytio</title><style>${STYLE}</style></head>
<body><main>
<h1>Sign in to Raytio</h1>
<div class="who">
<p><strong>${name}</strong> ${said} wants to use Raytio as you, with your permissions.</p>
<p>If you approve, the sign-in code goes to <strong>${host}</strong>${local}:</p>
<p class="where">${escapeHtml(redirectUri)}</p>
${localWarning}<p class="hint">Approve only if you just connected this application yourself.</p>
</div>
${error}
<form method="post" action="${escapeHtml(input.actionPath)}" autocomplete="on">
<input type="hidden" name="request" value="${escapeHtml(input.pendingId)}">
<label for="email">Raytio email</label>
<input id="email" name="email" type="email" autocomplete="username" required value="${escapeHtml(input.email ?? "")}">
<label for="password">Raytio password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<label for="encryption_password">Encryption password <small>(optional)</small></label>
<input id="encryption_password" name="encryption_password" type="password" autocomplete="off">
<p class="hint">Needed only to decrypt data people share with you. It is never logged: this server keeps it in memory while your sessions run, and otherwise only encrypted under your own tokens.</p>
<div class="buttons">
<button class="deny" type="submit" name="decision" value="deny" formnovalidate>Deny</button>
<button class="approve" type="submit" name="decision" value="approve">Approve and sign in</button>
</div>
</form>
</main></body></html>`;
}

export function renderErrorPage(message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Raytio sign-in</title><style>${STYLE}</style></head>
<body><main><h1>Cannot sign in</h1><div class="error" role="alert">${escapeHtml(message)}</div>
<p class="hint">Nothing was shared. Close this page and reconnect from your MCP client.</p></main></body></html>`;
}
