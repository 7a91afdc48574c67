/** Small assertions for Deno tests (jsr:@std/assert cannot be downloaded here, and `node:assert` would
 * make Deno look for `@types/node` in the pnpm tree). */

const show = (value: unknown): string => {
  try {
    return JSON.stringify(value)
  } catch {
    return String(value)
  }
}

/** Structural equality of JSON-like values (arrays, plain objects, primitives). */
const equalValues = (a: unknown, b: unknown): boolean => {
  if (Object.is(a, b)) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const keysA = Object.keys(a)
  const keysB = Object.keys(b)
  if (keysA.length !== keysB.length) return false
  return keysA.every(
    (key) =>
      Object.hasOwn(b, key) &&
      equalValues((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])
  )
}

export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new Error(message)
}

export const assertEquals = (actual: unknown, expected: unknown, message?: string): void => {
  if (!equalValues(actual, expected)) {
    throw new Error(
      `${message ?? "values differ"}\n  actual:   ${show(actual)}\n  expected: ${show(expected)}`
    )
  }
}

export const assertMatch = (actual: string, pattern: RegExp): void => {
  if (!pattern.test(actual)) throw new Error(`expected ${show(actual)} to match ${pattern}`)
}

export const assertNotMatch = (actual: string, pattern: RegExp): void => {
  if (pattern.test(actual)) throw new Error(`expected ${show(actual)} not to match ${pattern}`)
}

export function assertInstanceOf<T>(
  value: unknown,
  type: abstract new (...args: never) => T
): asserts value is T {
  if (!(value instanceof type)) throw new Error(`expected an instance of ${type.name}, got ${show(value)}`)
}
