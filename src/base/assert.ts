// Broken invariants are bugs (Linux: WARN_ON/BUG_ON): they throw plain Errors that
// nothing in the engine catches. Never use these for untrusted input.

/** Throws when `condition` is false. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`invariant failed: ${message}`);
}

/** Marks a branch the type system proves impossible (exhaustive switches). */
export function unreachable(value: never): never {
  throw new Error(`unreachable: ${String(value)}`);
}
