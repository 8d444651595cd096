// What the upper-casing example servers do to every byte they echo.

/** ASCII upper case, byte by byte: a chunk may end inside a multi-byte UTF-8 character, and no
 * byte of one is in a-z, so such characters pass unchanged. */
export function upperCase(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    out[i] = b >= 0x61 && b <= 0x7a ? b - 0x20 : b;
  }
  return out;
}
