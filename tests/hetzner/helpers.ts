/** A bare HTTP client for the fake Hetzner API, for tests that look at the wire. */
import type { FakeHetzner } from "../fakes/hetzner/server";

/** Answers are read loosely in tests; what matters is asserted field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = Record<string, any>;

export interface Answer {
  readonly status: number;
  readonly body: Loose;
}

export async function call(fake: FakeHetzner, method: string, path: string, body?: unknown, token = fake.token): Promise<Answer> {
  const response = await fetch(`${fake.endpoint}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Loose) : {} };
}

/** Polls an action until it leaves `running`. */
export async function settled(fake: FakeHetzner, actionId: number): Promise<Loose> {
  for (let i = 0; i < 200; i++) {
    const { body } = await call(fake, "GET", `/actions/${actionId}`);
    if (body.action?.status !== "running") return body.action as Loose;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`action ${actionId} still running`);
}
