// The Internet checksum: RFC 1071 one's-complement sum, the IPv4/IPv6 pseudo-headers
// for UDP, TCP and ICMPv6 (RFC 768, RFC 793, RFC 8200 §8.1), and incremental update
// (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m')).

/**
 * Adds `bytes` to a running 32-bit one's-complement accumulator (not yet folded).
 * An odd trailing byte is padded with zero, as RFC 1071 §4.1 does.
 */
export function sumBytes(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  const n = bytes.length;
  let i = 0;
  for (; i + 1 < n; i += 2) sum += ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
  if (i < n) sum += (bytes[i] as number) << 8;
  // Fold early enough that the accumulator never exceeds 2^53.
  return sum;
}

/** Folds an accumulator to 16 bits and complements it: the value to put on the wire. */
export function finishChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/** The RFC 1071 checksum of `bytes`. Over a region that includes a valid checksum it is 0. */
export function internetChecksum(bytes: Uint8Array): number {
  return finishChecksum(sumBytes(bytes));
}

/** Accumulator for the IPv4 pseudo-header (src, dst, zero, protocol, length). */
export function ipv4PseudoSum(src: number, dst: number, protocol: number, length: number): number {
  return (
    (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + (length & 0xffff)
  );
}

/** Accumulator for the IPv6 pseudo-header (RFC 8200 §8.1): src, dst, length, next header. */
export function ipv6PseudoSum(
  src: Uint8Array,
  dst: Uint8Array,
  nextHeader: number,
  length: number,
): number {
  return sumBytes(dst, sumBytes(src)) + (length >>> 16) + (length & 0xffff) + nextHeader;
}

/**
 * RFC 1624 eqn. 3: the new checksum after one 16-bit word of the covered data changed
 * from `oldWord` to `newWord`.
 */
export function updateChecksum16(checksum: number, oldWord: number, newWord: number): number {
  const sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return finishChecksum(sum);
}

/** RFC 1624 for a 32-bit field (an IPv4 address), as two 16-bit updates. */
export function updateChecksum32(checksum: number, oldValue: number, newValue: number): number {
  const hi = updateChecksum16(checksum, oldValue >>> 16, newValue >>> 16);
  return updateChecksum16(hi, oldValue & 0xffff, newValue & 0xffff);
}
