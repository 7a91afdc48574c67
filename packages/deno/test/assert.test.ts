import { assertEquals, assertMatch } from "./assert.ts"

// The helpers the suite relies on must themselves fail when they should.
Deno.test("assert helpers: assertEquals and assertMatch reject what differs", () => {
  assertEquals({ a: [1, { b: "x" }] }, { a: [1, { b: "x" }] })
  let threw = 0
  for (const [a, b] of [
    [{ a: 1 }, { a: 2 }],
    [[1, 2], [1]],
    [{ a: 1 }, { a: 1, b: undefined }],
    [[1], { 0: 1 }]
  ] as const) {
    try {
      assertEquals(a, b)
    } catch {
      threw++
    }
  }
  assertEquals(threw, 4)
  try {
    assertMatch("abc", /x/)
    threw++
  } catch {
    // expected
  }
  assertEquals(threw, 4)
})
