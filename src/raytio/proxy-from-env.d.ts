// proxy-from-env ships no types; this is its one export.
declare module "proxy-from-env" {
  /** The proxy URL the environment names for `url`, or "" when the request should go direct. */
  export function getProxyForUrl(url: string | URL): string;
}
