import { defaultServerConditions } from "vite"

/**
 * The export conditions of every vitest project: `@effect-salesforce/source` first, so that the
 * packages' `exports` resolve to their TypeScript sources (`src/`) and the tests need no build.
 * Published consumers never set this condition and get `dist/`.
 */
export const sourceConditions = ["@effect-salesforce/source", ...defaultServerConditions]
