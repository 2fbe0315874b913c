/**
 * The few Gitea API routes the workflows call, for running them here: the server version (the deploy
 * gate), the pull request a commit came from and its reviews (the approval gate). Records each request.
 */
import { IncomingMessage, Server, ServerResponse, createServer } from "node:http";
import { AddressInfo } from "node:net";

export interface FakePull {
  readonly number: number;
  readonly author: string;
  /** The commit the merge produced on main. */
  readonly mergeSha: string;
  readonly reviews: ReadonlyArray<{ readonly login: string; readonly state: "APPROVED" | "REQUEST_CHANGES" | "COMMENT" }>;
}

export interface FakeGiteaOptions {
  readonly version: string;
  readonly pulls: readonly FakePull[];
}

export interface SeenRequest {
  readonly path: string;
  /** Whether the request carried `Authorization: token ...` (never the token itself). */
  readonly authorized: boolean;
}

export class FakeGitea {
  readonly requests: SeenRequest[] = [];

  private constructor(private readonly server: Server, private options: FakeGiteaOptions) {}

  static async start(options: FakeGiteaOptions): Promise<FakeGitea> {
    const holder: { gitea?: FakeGitea } = {};
    const server = createServer((req, res) => holder.gitea?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    holder.gitea = new FakeGitea(server, options);
    return holder.gitea;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A different server version from now on (another Gitea). */
  setVersion(version: string): void {
    this.options = { ...this.options, version };
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? "").split("?")[0]!;
    this.requests.push({ path, authorized: /^token \S+$/.test(req.headers.authorization ?? "") });
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (path === "/api/v1/version") return send(200, { version: this.options.version });
    const byCommit = /^\/api\/v1\/repos\/[^/]+\/[^/]+\/commits\/([0-9a-f]{40})\/pull$/.exec(path);
    if (byCommit) {
      const pull = this.options.pulls.find((p) => p.mergeSha === byCommit[1]);
      return pull ? send(200, { number: pull.number, user: { login: pull.author } }) : send(404, { message: "not found" });
    }
    const reviews = /^\/api\/v1\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)\/reviews$/.exec(path);
    if (reviews) {
      const pull = this.options.pulls.find((p) => p.number === Number(reviews[1]));
      if (!pull) return send(404, { message: "not found" });
      return send(200, pull.reviews.map((r, i) => ({ id: i + 1, state: r.state, stale: false, dismissed: false, user: { login: r.login } })));
    }
    send(404, { message: "not found" });
  }
}
