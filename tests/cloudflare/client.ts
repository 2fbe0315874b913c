/** A raw v4 API call to the Cloudflare fake with a bearer token, as the tests' own client. */
export type FakeAnswer<R> = { success: boolean; errors: Array<{ code: number; message: string }>; result: R };

export async function callFake<R>(apiUrl: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: FakeAnswer<R> }> {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as FakeAnswer<R> };
}
