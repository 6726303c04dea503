// openapi-typescript (types) + openapi-fetch (client) from openapi/vpcep.json against
// vpcep-fake. Run by .ci/consumers.sh: it generates generated/schema.ts, type-checks with
// tsc (strict), starts the fakes and runs `node --test`; see tests/consumers/README.md.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import createClient from 'openapi-fetch';
import type { components, paths } from './generated/schema.js';
import * as c from '../ts-common/common.mjs';

type Endpoint = components['schemas']['EndpointResp'];
type Page = components['schemas']['EndpointListResp'];

// The iamToken scheme: the X-Auth-Token header.
const client = (baseUrl: string, token = c.TOKEN) =>
  createClient<paths>({ baseUrl, headers: { 'X-Auth-Token': token } });

const path = '/v1/{project_id}/vpc-endpoints' as const;

// openapi-fetch types `error` as the union of every declared error body: ErrorResponse,
// and the text of an HTML gateway page once 502/503/504 declare text/html. Narrow it.
type ErrorBody = components['schemas']['ErrorResponse'];
const errorBody = (e: unknown): ErrorBody | undefined =>
  typeof e === 'object' && e !== null ? (e as ErrorBody) : undefined;

async function page(base: string, query: { limit?: number } = {}): Promise<Page> {
  const { data, error, response } = await client(base).GET(path, {
    params: { path: { project_id: c.PROJECT }, query },
  });
  assert.equal(response.status, 200, JSON.stringify(error));
  assert.ok(data);
  return data;
}

const list = (p: Page): Endpoint[] => p.endpoints ?? [];

function checkAgainstRaw(p: Page, raw: Awaited<ReturnType<typeof c.rawPage>>): void {
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
  const p = await page(c.PLAIN, { limit: 40 });
  checkAgainstRaw(p, await c.rawPage(c.PLAIN, { limit: '40' }));
  assert.equal(p.total_count, 40);
});

test('quirky page reads like the plain one after normalisation', async () => {
  const [plain, quirky] = [await page(c.PLAIN, { limit: 40 }), await page(c.QUIRKS, { limit: 40 })];
  const raw = await c.rawPage(c.QUIRKS, { limit: '40' });
  checkAgainstRaw(quirky, raw);
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
  const p = await page(c.REPLAY, { limit: 10 });
  assert.equal(p.total_count, 4);
  const by = new Map(list(p).map((e) => [e.id ?? '', e]));
  const [a, b, cc, d] = [c.REC_A, c.REC_B, c.REC_C, c.REC_D].map((id) => by.get(id)!);
  assert.ok(a && b && cc && d);
  assert.equal(c.lenientBool(a.enable_dns), false);
  assert.equal(c.lenientBool(a.enable_whitelist), true);
  assert.equal(a.dns_names, null);
  assert.equal(a.description, null);
  // A field the spec does not list (needs additionalProperties: true to type-check).
  assert.deepEqual(a['x_vendor_trace'], { shard: 7, replica: null });
  assert.equal(b.status, 'deleting');
  assert.deepEqual(c.strList(cc.active_status), ['active', 'suspended']);
  assert.equal(b.ip, null);
  assert.equal(b.marker_id, null);
  assert.equal(b.updated_at, null);
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
});

test('401 with the error body', async () => {
  const { error, response } = await client(c.PLAIN, 'wrong').GET(path, {
    params: { path: { project_id: c.PROJECT } },
  });
  assert.equal(response.status, 401);
  assert.equal(errorBody(error)?.error_code, 'APIGW.0301');
  assert.ok(errorBody(error)?.error_msg);
});

test('400 for limit=1001 names the parameter', async () => {
  const { error, response } = await client(c.PLAIN).GET(path, {
    params: { path: { project_id: c.PROJECT }, query: { limit: 1001 } },
  });
  assert.equal(response.status, 400);
  assert.match(errorBody(error)?.error?.code ?? '', /^EndPoint\./);
  assert.match(errorBody(error)?.error?.message ?? '', /limit/);
});

test('429 with Retry-After', async () => {
  const { error, response } = await client(c.THROTTLED).GET(path, {
    params: { path: { project_id: c.PROJECT } },
  });
  assert.equal(response.status, 429);
  assert.equal(response.headers.get('Retry-After'), '1');
  assert.equal(errorBody(error)?.error_code, 'APIGW.0308');
});

test('HTML 502 is returned as a response', async () => {
  const { data, error, response } = await client(c.GATEWAY).GET(path, {
    params: { path: { project_id: c.PROJECT } },
  });
  assert.equal(response.status, 502);
  assert.match(response.headers.get('Content-Type') ?? '', /^text\/html/);
  assert.equal(data, undefined);
  assert.match(String(error), /502 Bad Gateway/);
});

test('error body with null members type-checks and reads', () => {
  const body: components['schemas']['ErrorResponse'] = JSON.parse(
    '{"error": null, "error_code": "APIGW.0101", "error_msg": "not found", "request_id": null}',
  );
  const nulls: components['schemas']['ErrorResponse'] = { error: null, request_id: null };
  assert.equal(body.error, null);
  assert.equal(nulls.error, null);
});
