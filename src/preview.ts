// What the API shows of a large value (node inputs and outputs, target request and response
// bodies): the value itself up to a few KiB of JSON, else a marked cut.

/** Previews are cut to this many bytes of JSON. */
export const PREVIEW_BYTES = 4096;

export function preview(value: unknown): unknown {
  const json = JSON.stringify(value ?? null);
  if (json.length <= PREVIEW_BYTES) return value ?? null;
  return { truncated: true, bytes: Buffer.byteLength(json), preview: json.slice(0, PREVIEW_BYTES) };
}
