/*
 * The messages API, seen from the browser. Its base URL comes from
 * /config.json (written at deploy time, and by `sluice dev` locally), never
 * from the bundle, so one build serves every stage.
 *
 * Two kinds of failure reach the views: ApiError, an answer from the API
 * (its status and its own message, from the function's
 * {"error":{"message"}} or API Gateway's {"message"}), and NetworkError, no
 * answer at all (the API is down, offline, refused by CORS).
 */
export interface Message {
  id: string;
  message: string;
  createdAt: string;
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "ApiError";
  }
}

export class NetworkError extends Error {
  constructor(readonly url: string) {
    super(`Could not reach the API at ${url}.`);
    this.name = "NetworkError";
  }
}

interface Config {
  apiUrl: string;
}

/* Read /config.json; revalidated on every load so a new deploy is seen at once. */
export async function loadConfig(): Promise<Config> {
  let res: Response;
  try {
    res = await fetch("/config.json", { cache: "no-cache" });
  } catch {
    throw new NetworkError("/config.json");
  }
  const body: unknown = await res.json().catch(() => null);
  const apiUrl = (body as { apiUrl?: unknown } | null)?.apiUrl;
  if (!res.ok || typeof apiUrl !== "string" || !/^https?:\/\//.test(apiUrl)) {
    throw new ApiError(res.status, "/config.json does not name the API (apiUrl)");
  }
  return { apiUrl: apiUrl.replace(/\/+$/, "") };
}

/* The API's own message in an error body, whichever layer wrote it. */
function messageOf(body: unknown, status: number): string {
  const b = body as { error?: { message?: unknown }; message?: unknown } | null;
  const m = b?.error?.message ?? b?.message;
  return typeof m === "string" && m ? m : `the API answered ${status} without a message`;
}

export class Api {
  constructor(private readonly base: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = this.base + path;
    const init: RequestInit = { method, cache: "no-store" };
    if (body !== undefined) {
      init.headers = { "Content-Type": "application/json" };
      init.body = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(url, init);
    } catch {
      throw new NetworkError(this.base);
    }
    const data: unknown = await res.json().catch(() => null);
    if (!res.ok) throw new ApiError(res.status, messageOf(data, res.status));
    return data as T;
  }

  async count(): Promise<number> {
    const r = await this.call<{ count: number }>("GET", "/messages");
    return r.count;
  }

  post(text: string): Promise<Message> {
    return this.call<Message>("POST", "/messages", { message: text });
  }

  get(id: string): Promise<Message> {
    return this.call<Message>("GET", `/messages/${encodeURIComponent(id)}`);
  }
}
