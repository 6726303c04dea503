// @hey-api/openapi-ts configuration of tests/consumers (see README.md there): the fetch
// client, zod schemas, and an SDK that validates responses with them.
export default {
  // .ci/consumers.sh sets VPCEP_SPEC (default openapi/vpcep.json).
  input: process.env.VPCEP_SPEC ?? '../../../openapi/vpcep.json',
  output: { path: 'generated', importFileExtension: '.js' },
  plugins: ['@hey-api/client-fetch', 'zod', { name: '@hey-api/sdk', validator: true }],
};
