/**
 * Strict, namespace-aware XML parsing with `saxes` into a small element tree, with
 * parse errors worded the way Salesforce's (Xerces) parser words them.
 *
 * @internal
 */
import { SaxesParser } from "saxes"

/** @internal */
export interface XmlElement {
  readonly local: string
  readonly uri: string
  readonly qname: string
  readonly children: Array<XmlElement>
  /** Text and CDATA content directly inside this element, entities decoded. */
  text: string
}

/** @internal */
export class XmlParseError {
  readonly _tag = "XmlParseError"
  constructor(readonly message: string) {}
}

const ENTITY_REF = /^&(?:#[0-9]+|#x[0-9a-fA-F]+|[A-Za-z_:][A-Za-z0-9_.:-]*);/
const PREDEFINED = new Set(["amp", "lt", "gt", "quot", "apos"])

/** Xerces-style wording for the first bad `&` in the document, if any. */
const ampersandProblem = (xml: string): string | undefined => {
  let inCdata = false
  for (let i = 0; i < xml.length; i++) {
    if (!inCdata && xml.startsWith("<![CDATA[", i)) inCdata = true
    else if (inCdata && xml.startsWith("]]>", i)) inCdata = false
    else if (!inCdata && xml[i] === "&") {
      const rest = xml.slice(i, i + 64)
      const ref = ENTITY_REF.exec(rest)
      if (ref !== null) {
        const name = ref[0].slice(1, -1)
        if (!name.startsWith("#") && !PREDEFINED.has(name)) {
          return `The entity "${name}" was referenced, but not declared.`
        }
        continue
      }
      const name = /^&([A-Za-z_:][A-Za-z0-9_.:-]*)/.exec(rest)
      return name !== null
        ? `The reference to entity "${name[1]}" must end with the ';' delimiter.`
        : "The entity name must immediately follow the '&' in the entity reference."
    }
  }
  return undefined
}

const wording = (xml: string, saxesMessage: string, open: string | undefined): string => {
  const amp = ampersandProblem(xml)
  if (amp !== undefined) return amp
  if (/unexpected close tag/i.test(saxesMessage) && open !== undefined) {
    return `The element type "${open}" must be terminated by the matching end-tag "</${open}>".`
  }
  if (/unclosed tag|unexpected end/i.test(saxesMessage)) return "XML document structures must start and end within the same entity."
  return "The content of elements must consist of well-formed character data or markup."
}

/** Parses a whole document; throws {@link XmlParseError}. @internal */
export const parseXml = (xml: string): XmlElement => {
  if (xml.trim() === "") throw new XmlParseError("Premature end of file.")
  const parser = new SaxesParser({ xmlns: true })
  const stack: Array<XmlElement> = []
  let root: XmlElement | undefined
  let failure: string | undefined
  let openAtFailure: string | undefined
  const fail = (message: string) => {
    if (failure !== undefined) return
    failure = message
    openAtFailure = stack[stack.length - 1]?.qname
  }
  parser.on("error", (error) => fail(error.message))
  parser.on("doctype", () => {
    fail("DOCTYPE is disallowed when the feature \"http://apache.org/xml/features/disallow-doctype-decl\" set to true.")
  })
  parser.on("opentag", (node) => {
    const element: XmlElement = { local: node.local, uri: node.uri, qname: node.name, children: [], text: "" }
    const parent = stack[stack.length - 1]
    if (parent === undefined) root ??= element
    else parent.children.push(element)
    stack.push(element)
  })
  parser.on("closetag", () => {
    stack.pop()
  })
  parser.on("text", (text) => {
    const current = stack[stack.length - 1]
    if (current !== undefined) current.text += text
  })
  parser.on("cdata", (text) => {
    const current = stack[stack.length - 1]
    if (current !== undefined) current.text += text
  })
  try {
    parser.write(xml).close()
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error))
  }
  if (failure !== undefined) {
    if (failure.startsWith("DOCTYPE")) throw new XmlParseError(failure)
    throw new XmlParseError(wording(xml, failure, openAtFailure))
  }
  if (root === undefined) throw new XmlParseError("Premature end of file.")
  return root
}

/** First child element with this local name. @internal */
export const child = (element: XmlElement | undefined, local: string): XmlElement | undefined =>
  element?.children.find((c) => c.local === local)

/** Escapes text for XML content and attributes. @internal */
export const escapeXml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&apos;" })[c]!)

/** `<name>escaped</name>` (or `xsi:nil` for null). @internal */
export const element = (name: string, value: string | number | boolean | null): string =>
  value === null ? `<${name} xsi:nil="true"/>` : `<${name}>${escapeXml(String(value))}</${name}>`
