// OpenAPI Generator 7.26.0 `typescript-fetch` (from the PyPI package openapi-generator-cli)
// from openapi/vpcep.json against vpcep-fake. Run by .ci/consumers.sh: it generates
// generated/ (supportsES6, importFileExtension=.js), type-checks with tsc (strict), starts
// the fakes and runs `node --test`; see tests/consumers/README.md.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Configuration, ResponseError, type FetchAPI } from './generated/runtime.js';
import { EndpointsApi } from './generated/apis/EndpointsApi.js';
import type { EndpointListResp } from './generated/models/EndpointListResp.js';
import type { EndpointResp } from './generated/models/EndpointResp.js';
import { ErrorResponseFromJSON } from './generated/models/ErrorResponse.js';
import * as c from '../ts-common/common.mjs';

// The generated client calls `apiKey(header)` once per apiKey scheme of the operation's
// `security` and sets that header to the result. Since spec 3.0.0 that is X-Auth-Token
// alone, so a plain token string is right (with 2.x it went in Authorization too).
// `sent` records the headers of every request.
const sent: Headers[] = [];
const recordingFetch: FetchAPI = async (url, init) => {
  sent.push(new Headers(init?.headers));
  return fetch(url, init);
};
const api = (basePath: string, token = c.TOKEN) =>
  new EndpointsApi(new Configuration({ basePath, apiKey: token, fetchApi: recordingFetch }));

const page = (base: string, limit?: number): Promise<EndpointListResp> =>
  api(base).listEndpoints({ projectId: c.PROJECT, limit });

const list = (p: EndpointListResp): EndpointResp[] => p.endpoints ?? [];

/** The error a call throws: the generator's ResponseError, holding the fetch Response. */
async function failure(call: Promise<unknown>): Promise<Response> {
  try {
    await call;
  } catch (e) {
    assert.ok(e instanceof ResponseError, String(e));
    return e.response;
  }
  assert.fail('the call succeeded');
}

function checkAgainstRaw(p: EndpointListResp, raw: Awaited<ReturnType<typeof c.rawPage>>): void {
  assert.equal(p.totalCount, raw.total_count);
  assert.equal(list(p).length, raw.endpoints.length);
  list(p).forEach((e, i) => {
    const r = raw.endpoints[i]!;
    assert.equal(e.id, r.id);
    assert.equal(e.status, r.status);
    assert.equal(c.lenientBool(e.enableDns), c.lenientBool(r.enable_dns));
    assert.equal(c.lenientBool(e.enableWhitelist), c.lenientBool(r.enable_whitelist));
    assert.deepEqual(c.strList(e.dnsNames), c.strList(r.dns_names));
    assert.deepEqual(c.strList(e.activeStatus), c.strList(r.active_status));
  });
}

test('plain page', async () => {
  const p = await page(c.PLAIN, 40);
  checkAgainstRaw(p, await c.rawPage(c.PLAIN, { limit: '40' }));
  assert.equal(p.totalCount, 40);
});

test('quirky page reads like the plain one after normalisation', async () => {
  const [plain, quirky] = [await page(c.PLAIN, 40), await page(c.QUIRKS, 40)];
  const raw = await c.rawPage(c.QUIRKS, { limit: '40' });
  checkAgainstRaw(quirky, raw);
  let falses = 0;
  list(plain).forEach((a, i) => {
    const b = list(quirky)[i]!;
    assert.equal(a.id, b.id);
    assert.equal(c.lenientBool(a.enableDns), c.lenientBool(b.enableDns));
    assert.deepEqual(c.strList(a.dnsNames), c.strList(b.dnsNames));
    if (b.enableDns === 'false') {
      falses += 1;
      assert.equal(c.lenientBool(b.enableDns), false);
    }
  });
  assert.ok(falses > 0);
});

test('replayed page keeps nulls, unknown values and fields', async () => {
  const rec = c.recorded();
  const p = await page(c.REPLAY, 10);
  assert.equal(p.totalCount, 4);
  const by = new Map(list(p).map((e) => [e.id ?? '', e]));
  const [a, b, cc, d] = [c.REC_A, c.REC_B, c.REC_C, c.REC_D].map((id) => by.get(id)!);
  assert.ok(a && b && cc && d);
  assert.equal(c.lenientBool(a.enableDns), false);
  assert.equal(c.lenientBool(a.enableWhitelist), true);
  assert.equal(a.dnsNames, undefined); // null on the wire: `== null ? undefined` for oneOf fields
  assert.equal(a.description, null);
  // A field the spec does not list: kept by the FromJSON spread (`...json`), raw name.
  assert.deepEqual((a as Record<string, unknown>)['x_vendor_trace'], { shard: 7, replica: null });
  assert.equal(b.status, 'deleting');
  assert.deepEqual(c.strList(cc.activeStatus), ['active', 'suspended']);
  assert.equal(b.ip, null);
  assert.equal(b.markerId, null);
  assert.equal(b.updatedAt, null);
  assert.equal(c.lenientBool(b.enableWhitelist), undefined);
  assert.equal(b.error, null);
  assert.equal(d.tags, null);
  assert.equal(d.error?.[0]?.errorMessage, null);
  const [s0, s1] = b.policyStatement ?? [];
  assert.ok(s0 && s1);
  assert.deepEqual(c.strList(s0.action), ['obs:object:GetObject']);
  assert.deepEqual(c.strList(s1.action), ['obs:object:PutObject', 'obs:object:DeleteObject']);
  assert.equal(s0.sid, 'read-logs');
  assert.deepEqual(s0.condition, { StringEquals: { 'obs:prefix': ['logs/'] } });
  assert.deepEqual(b.policyDocument, rec.get(c.REC_B)!['policy_document']);
});

test('401 throws a ResponseError holding the error body', async () => {
  const resp = await failure(api(c.PLAIN, 'wrong').listEndpoints({ projectId: c.PROJECT }));
  assert.equal(resp.status, 401);
  const body = ErrorResponseFromJSON(await resp.json());
  assert.equal(body.errorCode, 'APIGW.0301');
  assert.ok(body.errorMsg);
});

test('400 for limit=1001 names the parameter (the client does not check maximum)', async () => {
  const resp = await failure(page(c.PLAIN, 1001));
  assert.equal(resp.status, 400);
  const body = ErrorResponseFromJSON(await resp.json());
  assert.match(body.error?.code ?? '', /^EndPoint\./);
  assert.match(body.error?.message ?? '', /limit/);
});

test('429 with Retry-After', async () => {
  const resp = await failure(page(c.THROTTLED));
  assert.equal(resp.status, 429);
  assert.equal(resp.headers.get('Retry-After'), '1');
  assert.equal(ErrorResponseFromJSON(await resp.json()).errorCode, 'APIGW.0308');
});

test('HTML 502 throws a ResponseError holding the page', async () => {
  const resp = await failure(page(c.GATEWAY));
  assert.equal(resp.status, 502);
  assert.match(resp.headers.get('Content-Type') ?? '', /^text\/html/);
  assert.match(await resp.text(), /502 Bad Gateway/);
});

test('error body with null members reads', () => {
  const body = ErrorResponseFromJSON(
    JSON.parse('{"error": null, "error_code": "APIGW.0101", "error_msg": "not found", "request_id": null}'),
  );
  assert.equal(body.error, null);
  assert.equal(body.errorCode, 'APIGW.0101');
});

test('auth: a plain apiKey token goes in X-Auth-Token alone', async () => {
  sent.length = 0;
  await page(c.PLAIN, 1);
  const h = sent[0]!;
  assert.equal(h.get('X-Auth-Token'), c.TOKEN);
  // Spec 2.x listed akskSignature (an apiKey in Authorization) as an alternative: the
  // generated code then set Authorization to the same token.
  assert.equal(h.get('Authorization'), null);
});
