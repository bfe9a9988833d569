/**
 * Maps a request to the SOAP, OAuth, identity or REST handler.
 *
 * @internal
 */
import { ERROR_PAGE, handleAuthorize, handleErrorPage } from "./authorize.js"
import { type EmuRequest, type EmuResponse, json, notFound } from "./http.js"
import { handleIdentity, handleIntrospect, handleRevoke, handleUserInfo } from "./identity.js"
import { handleToken } from "./oauth.js"
import { handleRest } from "./rest.js"
import { handleSoap } from "./soap.js"
import type { EmulatorState } from "./state.js"

const SOAP = /^\/services\/Soap\/([uc])\/([^/]+)(?:\/[A-Za-z0-9]{15,18})?\/?$/
const IDENTITY = /^\/id\/([A-Za-z0-9]{18})\/([A-Za-z0-9]{18})\/?$/

/** @internal */
export const route = (state: EmulatorState, request: EmuRequest): EmuResponse => {
  const path = request.pathname
  if (path === "/services/data" || path.startsWith("/services/data/")) {
    return handleRest(state, request, path.slice("/services/data".length))
  }
  const soap = SOAP.exec(path)
  if (soap !== null) return handleSoap(state, request, soap[1] as "u" | "c", soap[2]!)
  switch (path) {
    case "/services/oauth2/token":
      return handleToken(state, request)
    case "/services/oauth2/authorize":
      return handleAuthorize(state, request)
    case ERROR_PAGE:
      return handleErrorPage(request)
    case "/services/oauth2/introspect":
      return handleIntrospect(state, request)
    case "/services/oauth2/revoke":
      return handleRevoke(state, request)
    case "/services/oauth2/userinfo":
      return handleUserInfo(state, request)
  }
  const identity = IDENTITY.exec(path)
  if (identity !== null) return handleIdentity(state, request, identity[1]!, identity[2]!)
  return json(404, notFound().errors)
}
