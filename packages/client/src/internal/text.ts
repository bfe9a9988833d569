/**
 * Linear-time reading of untrusted server text: what error summaries and 401 classification
 * do to a body. Everything here looks at a bounded prefix and is written with `indexOf` scans
 * that never go back over text already read (no backtracking regular expressions: a
 * `/<title[^>]*>([\s\S]*?)<\/title>/` over a 137 KB body of `<title` stalled the event loop 3 s).
 * @internal
 */

/** How much of a body a summary reads. A summary keeps 200 characters; an edge page's title is near the top. @internal */
export const summaryPrefix = 16 * 1024

/** How much of a 401 message its classification reads. @internal */
export const classifyPrefix = 1024

/** The text of `<title>…</title>` in the first {@link summaryPrefix} characters, if any. @internal */
export const htmlTitle = (html: string): string | undefined => {
  const lower = html.slice(0, summaryPrefix).toLowerCase()
  const open = lower.indexOf("<title")
  if (open === -1) return undefined
  const start = lower.indexOf(">", open)
  if (start === -1) return undefined
  const end = lower.indexOf("</title", start)
  return end === -1 ? undefined : html.slice(start + 1, end)
}

/**
 * Markup to text in one forward pass: tags become spaces, `<script>` and `<style>` elements
 * are dropped whole. A `<` with no `>` after it ends the scan (the rest is dropped), so no
 * search is ever repeated over the same characters.
 * @internal
 */
export const markupToText = (html: string): string => {
  const text = html.slice(0, summaryPrefix)
  const lower = text.toLowerCase()
  const parts: Array<string> = []
  let at = 0
  while (at < text.length) {
    const open = lower.indexOf("<", at)
    if (open === -1) {
      parts.push(text.slice(at))
      break
    }
    parts.push(text.slice(at, open), " ")
    const element = lower.startsWith("<script", open) ? "</script" : lower.startsWith("<style", open) ? "</style" : undefined
    const close = element === undefined ? open : lower.indexOf(element, open)
    const end = close === -1 ? -1 : lower.indexOf(">", close)
    if (end === -1) break
    at = end + 1
  }
  return parts.join("")
}

/** Does `text` look like markup (its first non-space character is `<`)? @internal */
export const looksLikeMarkup = (text: string): boolean => text.slice(0, summaryPrefix).trimStart().startsWith("<")

/**
 * Does `first` occur in `text` with one of `then` after it? Case-insensitive, within the
 * first {@link classifyPrefix} characters. The linear form of `/first.*(a|b)/i`.
 * @internal
 */
export const inOrder = (text: string, first: string, ...then: ReadonlyArray<string>): boolean => {
  const lower = text.slice(0, classifyPrefix).toLowerCase()
  const at = lower.indexOf(first)
  return at !== -1 && then.some((word) => lower.indexOf(word, at + first.length) !== -1)
}

/** Case-insensitive `includes` within the first {@link classifyPrefix} characters. @internal */
export const mentions = (text: string, word: string): boolean =>
  text.slice(0, classifyPrefix).toLowerCase().includes(word)
