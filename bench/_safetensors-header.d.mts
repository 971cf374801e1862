// Types of _safetensors-header.mjs for the TypeScript bench helpers.
/** The header bytes for `json` (a JSON object text): 8-byte little-endian length, then the JSON padded with spaces to a multiple of 8. */
export function safetensorsHeader(json: string): Uint8Array;
