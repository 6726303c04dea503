// Shared by the TypeScript consumers of tests/consumers: where .ci/consumers.sh started the
// fakes, the recorded data, and the normalisers of openapi/README.md's TypeScript recipes.
import { readFileSync } from 'node:fs';

export const TOKEN = process.env.VPCEP_TOKEN ?? 'consumer-token';
export const PROJECT = '295dacf46a4842fcbf7844dc2dc2489d';
// --generate 40 --seed 3; the same with --quirks; --data recorded_example.json;
// --fail-rate 1 --fail-status 429; --fail-rate 1 --fail-status 502 --fail-html.
export const PLAIN = process.env.FAKE_PLAIN ?? '';
export const QUIRKS = process.env.FAKE_QUIRKS ?? '';
export const REPLAY = process.env.FAKE_REPLAY ?? '';
export const THROTTLED = process.env.FAKE_THROTTLED ?? '';
export const GATEWAY = process.env.FAKE_GATEWAY ?? '';

export const REC_A = '5e0b2c1a-1111-4a6e-9d0e-000000000001';
export const REC_B = '5e0b2c1a-2222-4a6e-9d0e-000000000002';
export const REC_C = '5e0b2c1a-3333-4a6e-9d0e-000000000003';
export const REC_D = '5e0b2c1a-4444-4a6e-9d0e-000000000004';

type Json = Record<string, unknown>;

/** The recorded endpoints by id. */
export function recorded(): Map<string, Json> {
  // Set by .ci/consumers.sh: crates/vpcep-fake/data/recorded_example.json.
  const path = process.env.RECORDED_FILE ?? 'recorded_example.json';
  const body = JSON.parse(readFileSync(path, 'utf8')) as { endpoints: Json[] };
  return new Map(body.endpoints.map((e) => [String(e.id), e]));
}

/** A page as plain JSON, read without generated code (the reference). */
export async function rawPage(base: string, query: Record<string, string>): Promise<{ endpoints: Json[]; total_count: number }> {
  const url = `${base}/v1/${PROJECT}/vpc-endpoints?${new URLSearchParams(query)}`;
  const resp = await fetch(url, { headers: { 'X-Auth-Token': TOKEN } });
  if (resp.status !== 200) throw new Error(`${url}: ${resp.status}`);
  return (await resp.json()) as { endpoints: Json[]; total_count: number };
}

// The normalisers. Never test the truthiness of enable_dns: "false" is truthy.
/** true/"true" -> true, false/"false" -> false, null/undefined/other -> undefined. */
export function lenientBool(v: unknown): boolean | undefined {
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  return undefined;
}

/** A single string or a list of strings as a list; null/undefined -> []. */
export function strList(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.map(String);
  return [];
}
