// @hey-api/openapi-ts (fetch client, zod schemas, SDK validating responses with them) from
// openapi/vpcep.json against vpcep-fake. Run by .ci/consumers.sh: it generates generated/
// (openapi-ts.config.mjs), type-checks with tsc (strict), starts the fakes and runs
// `node --test`; see tests/consumers/README.md.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClient, createConfig } from './generated/client/index.js';
import { listEndpoints } from './generated/sdk.gen.js';
import type { EndpointListResp, EndpointResp, ErrorResponse } from './generated/types.gen.js';
import { zEndpointResp, zErrorResponse } from './generated/zod.gen.js';
import * as c from '../ts-common/common.mjs';

// Auth: since spec 3.0.0 the SDK lists one apiKey scheme (X-Auth-Token), so a plain
// `auth: token` fills it alone (with 2.x it filled Authorization too, the AK/SK scheme's
// header). AK/SK signing needs a signer of its own (none is generated).
const tokenOnly = (token: string) => (auth: { name?: string }) =>
  auth.name === 'X-Auth-Token' ? token : undefined;

const client = (baseUrl: string, token = c.TOKEN) =>
  createClient(createConfig({ baseUrl, auth: token }));

async function page(base: string, limit = 10): Promise<EndpointListResp> {
  const { data, error, response } = await listEndpoints({
    client: client(base),
    path: { project_id: c.PROJECT },
    query: { limit },
  });
  assert.equal(response?.status, 200);
  assert.equal(error, undefined, `the SDK's zod validation: ${String(error)}`);
  assert.ok(data);
  return data;
}

const list = (p: EndpointListResp): EndpointResp[] => p.endpoints ?? [];

function checkAgainstRaw(p: EndpointListResp, raw: Awaited<ReturnType<typeof c.rawPage>>): void {
  assert.equal(p.total_count, raw.total_count);
  assert.equal(list(p).length, raw.endpoints.length);
  list(p).forEach((e, i) => {
    const r = raw.endpoints[i]!;
    assert.equal(e.id, r.id);
    assert.equal(e.status, r.status);
    assert.equal(c.lenientBool(e.enable_dns), c.lenientBool(r.enable_dns));
    assert.equal(c.lenientBool(e.enable_whitelist), c.lenientBool(r.enable_whitelist));
    assert.deepEqual(c.strList(e.dns_names), c.strList(r.dns_names));
    assert.deepEqual(c.strList(e.active_status), c.strList(r.active_status));
  });
}

test('plain page', async () => {
  const p = await page(c.PLAIN, 40);
  checkAgainstRaw(p, await c.rawPage(c.PLAIN, { limit: '40' }));
  assert.equal(p.total_count, 40);
});

test('quirky page reads like the plain one after normalisation', async () => {
  const [plain, quirky] = [await page(c.PLAIN, 40), await page(c.QUIRKS, 40)];
  checkAgainstRaw(quirky, await c.rawPage(c.QUIRKS, { limit: '40' }));
  let falses = 0;
  list(plain).forEach((a, i) => {
    const b = list(quirky)[i]!;
    assert.equal(a.id, b.id);
    assert.equal(c.lenientBool(a.enable_dns), c.lenientBool(b.enable_dns));
    assert.deepEqual(c.strList(a.dns_names), c.strList(b.dns_names));
    if (b.enable_dns === 'false') {
      falses += 1;
      assert.equal(c.lenientBool(b.enable_dns), false);
    }
  });
  assert.ok(falses > 0);
});

test('replayed page keeps nulls, unknown values and fields', async () => {
  const rec = c.recorded();
  const p = await page(c.REPLAY, 10);
  assert.equal(p.total_count, 4);
  const by = new Map(list(p).map((e) => [e.id ?? '', e]));
  const [a, b, cc, d] = [c.REC_A, c.REC_B, c.REC_C, c.REC_D].map((id) => by.get(id)!);
  assert.ok(a && b && cc && d);
  assert.equal(c.lenientBool(a.enable_dns), false);
  assert.equal(c.lenientBool(a.enable_whitelist), true);
  assert.equal(a.dns_names, null);
  assert.deepEqual(a['x_vendor_trace'], { shard: 7, replica: null });
  assert.equal(b.status, 'deleting');
  assert.deepEqual(c.strList(cc.active_status), ['active', 'suspended']);
  assert.equal(b.ip, null);
  assert.equal(b.marker_id, null);
  assert.equal(c.lenientBool(b.enable_whitelist), undefined);
  assert.equal(b.error, null);
  assert.equal(d.tags, null);
  assert.equal(d.error?.[0]?.error_message, null);
  const [s0, s1] = b.policy_statement ?? [];
  assert.ok(s0 && s1);
  assert.deepEqual(c.strList(s0.Action), ['obs:object:GetObject']);
  assert.deepEqual(c.strList(s1.Action), ['obs:object:PutObject', 'obs:object:DeleteObject']);
  assert.equal(s0.Sid, 'read-logs');
  assert.deepEqual(s0.Condition, { StringEquals: { 'obs:prefix': ['logs/'] } });
  assert.deepEqual(b.policy_document, rec.get(c.REC_B)!['policy_document']);
  // The SDK validates with zod but returns the data as received (above). The zod schemas
  // themselves are z.object(), which strips unknown keys when you parse with them (hey-api
  // 0.99 does not turn additionalProperties into .loose()): parse with .loose() to keep them.
  const raw = await c.rawPage(c.REPLAY, { limit: '10' });
  const stripped = zEndpointResp.parse(raw.endpoints.find((e) => e.id === c.REC_A));
  assert.equal((stripped as Record<string, unknown>)['x_vendor_trace'], undefined);
  const kept = zEndpointResp.loose().parse(raw.endpoints.find((e) => e.id === c.REC_A));
  assert.deepEqual(kept['x_vendor_trace'], { shard: 7, replica: null });
});

test('a plain token and a per-scheme callback both send X-Auth-Token alone', async () => {
  const seen: Headers[] = [];
  const spy: typeof fetch = async (input, init) => {
    seen.push(new Request(input, init).headers);
    return fetch(input, init);
  };
  for (const auth of [c.TOKEN, tokenOnly(c.TOKEN)]) {
    await listEndpoints({
      client: createClient(createConfig({ baseUrl: c.PLAIN, auth, fetch: spy })),
      path: { project_id: c.PROJECT },
    });
  }
  assert.equal(seen.length, 2);
  for (const h of seen) {
    // Spec 2.x listed akskSignature (Authorization) too: the plain token went there as well.
    assert.equal(h.get('Authorization'), null, 'the token must not go in the AK/SK header');
    assert.equal(h.get('X-Auth-Token'), c.TOKEN);
  }
});

test('401 with the error body', async () => {
  const { error, response } = await listEndpoints({
    client: client(c.PLAIN, 'wrong'),
    path: { project_id: c.PROJECT },
  });
  assert.equal(response?.status, 401);
  const err = error as ErrorResponse;
  assert.equal(err.error_code, 'APIGW.0301');
  assert.ok(zErrorResponse.safeParse(error).success, 'the 401 body matches zErrorResponse');
});

test('400 for limit=1001: refused by zod before sending, and by the server', async () => {
  await assert.rejects(
    listEndpoints({
      client: client(c.PLAIN),
      path: { project_id: c.PROJECT },
      query: { limit: 1001 },
      throwOnError: true,
    }),
    /limit/,
  );
  const { error, response } = await listEndpoints({
    client: client(c.PLAIN),
    path: { project_id: c.PROJECT },
    query: { limit: 1001 },
    requestValidator: undefined,
  });
  assert.equal(response?.status, 400);
  const err = error as ErrorResponse;
  assert.match(err.error?.code ?? '', /^EndPoint\./);
  assert.match(err.error?.message ?? '', /limit/);
});

test('429 with Retry-After', async () => {
  const { error, response } = await listEndpoints({
    client: client(c.THROTTLED),
    path: { project_id: c.PROJECT },
  });
  assert.equal(response?.status, 429);
  assert.equal(response?.headers.get('Retry-After'), '1');
  assert.equal((error as ErrorResponse).error_code, 'APIGW.0308');
});

test('HTML 502 is returned as a response', async () => {
  const { data, error, response } = await listEndpoints({
    client: client(c.GATEWAY),
    path: { project_id: c.PROJECT },
  });
  assert.equal(response?.status, 502);
  assert.match(response?.headers.get('Content-Type') ?? '', /^text\/html/);
  assert.equal(data, undefined);
  assert.match(String(error), /502 Bad Gateway/);
});

test('error body with null members validates', () => {
  const body = JSON.parse('{"error": null, "error_code": "APIGW.0101", "error_msg": "not found", "request_id": null}');
  const r = zErrorResponse.safeParse(body);
  assert.ok(r.success, r.error?.message);
  const typed: ErrorResponse = { error: null, request_id: null };
  assert.equal(typed.error, null);
});
