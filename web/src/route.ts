/*
 * The site's addresses: "/" and "/messages/<id>". The second survives a
 * reload because CloudFront's viewer-request function (infra/template.yaml,
 * SiteSpaFunction) serves /index.html for every path whose last segment has
 * no dot; the same rule runs in `sluice dev`.
 */
export type Route = { view: "home" } | { view: "message"; id: string };

export function parseRoute(pathname: string): Route {
  const m = /^\/messages\/([^/]+)\/?$/.exec(pathname);
  if (m && m[1]) {
    try {
      return { view: "message", id: decodeURIComponent(m[1]) };
    } catch {
      return { view: "message", id: m[1] };
    }
  }
  return { view: "home" };
}

export function messagePath(id: string): string {
  return `/messages/${encodeURIComponent(id)}`;
}
