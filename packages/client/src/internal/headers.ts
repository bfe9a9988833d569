/**
 * Header names and values checked before a request is sent. A CR or LF (or another character
 * HTTP cannot carry) is a caller's mistake: the transport would throw, and that looked like a
 * network fault (`ConnectionError`, `sent: true`, retried three times). Values are never quoted
 * in the problem: a header can hold a secret.
 * @internal
 */

/** RFC 9110 `token`: the characters of a header name. */
const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** Characters a header value cannot carry (what Node's `validateHeaderValue` refuses): controls but tab, and above U+00FF. */
const invalidValueChar = /[^\t\x20-\x7e\x80-\xff]/

/** Why `value` cannot be a header value, or `undefined`. @internal */
export const valueProblem = (value: string): string | undefined => {
  const match = invalidValueChar.exec(value)
  if (match === null) return undefined
  const c = match[0]
  return c === "\r" || c === "\n"
    ? "contains a CR or LF"
    : `contains the character U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}, which a header cannot carry`
}

/** The first problem with a request's headers, or `undefined` when every name and value can be sent. @internal */
export const headersProblem = (headers: Readonly<Record<string, string>>): string | undefined => {
  for (const name of Object.keys(headers)) {
    if (!token.test(name)) {
      return /[\r\n]/.test(name)
        ? "a header name contains a CR or LF"
        : `a header name is not a valid token (${JSON.stringify(name.slice(0, 40))})`
    }
    const problem = valueProblem(headers[name]!)
    if (problem !== undefined) return `the value of header ${name} ${problem}`
  }
  return undefined
}
