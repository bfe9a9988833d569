/** The implementation of `TokenProvider.make`. @internal */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as AccessToken from "../AccessToken.js"
import { type AuthError, AuthenticationError, MalformedResponseError, TransportError } from "../AuthError.js"
import { SalesforceEvent } from "../SalesforceEvent.js"
import { SalesforceEvents } from "../SalesforceEvents.js"
import * as RetryPolicy from "../RetryPolicy.js"
import type { TokenProvider } from "../TokenProvider.js"
import * as TokenStore from "../TokenStore.js"
import * as TokenCache from "./tokenCache.js"
import { SalesforceConfig } from "../SalesforceConfig.js"
import { checkInstanceUrl, type InstanceTrust } from "./url.js"

const defaultProactiveSchedule: Schedule.Schedule<unknown, unknown> = Schedule.exponential("1 second", 2).pipe(
  Schedule.modifyDelay((d) => Duration.min(d, Duration.minutes(1)))
)

/** @internal */
export const make = <R>(
  options: TokenProvider.Options<R>
): Effect.Effect<TokenProvider.Service, never, Scope.Scope | SalesforceEvents | R> =>
  Effect.flatMap(SalesforceEvents, (events) => makeWithEvents(options, events))

/** @internal */
export const makeWithEvents = <R>(
  options: TokenProvider.Options<R>,
  events: SalesforceEvents.Service | undefined
): Effect.Effect<TokenProvider.Service, never, Scope.Scope | R> =>
  Effect.gen(function*() {
    const name = options.authMethod ?? "Custom"
    const context = yield* Effect.context<R>()
    const scope = yield* Effect.scope
    const builtWith = yield* RetryPolicy.RetryPolicy
    const publish = (event: SalesforceEvent) => (events === undefined ? Effect.void : events.publish(event))
    const marginMillis = Duration.toMillis(options.expiryMargin ?? Duration.seconds(60))
    const timeout = Duration.decode(options.acquireTimeout ?? Duration.minutes(2))
    const proactive = options.proactiveRefresh ?? true
    const proactiveOptions = typeof proactive === "object" ? proactive : {}
    const aheadMillis = Duration.toMillis(proactiveOptions.ahead ?? Duration.minutes(5))

    // where a token may go: the login host, Salesforce's hosts, the user's trusted hosts
    const config = yield* Effect.serviceOption(SalesforceConfig)
    const trust: InstanceTrust = {
      loginUrl: Option.isSome(config) ? config.value.baseUrl : undefined,
      trustedHosts: Option.isSome(config) ? config.value.trustedInstanceHosts ?? [] : []
    }

    /** Where a token may go: checked on every grant, and on every token read back from a shared store. */
    const trustedInstance = (instanceUrl: string) =>
      checkInstanceUrl(instanceUrl, trust).pipe(
        Effect.mapError((detail) =>
          new MalformedResponseError({ method: name, request: "token acquisition", detail: `instance URL: ${detail}` })
        )
      )

    const toToken = (grant: TokenProvider.Grant) =>
      Effect.gen(function*() {
        const instanceUrl = yield* trustedInstance(grant.instanceUrl)
        // it is sent as `Authorization: Bearer <token>`: a CR, LF or space there is not a token
        if (!/^[\x21-\x7e]+$/.test(Redacted.value(grant.accessToken))) {
          return yield* new MalformedResponseError({
            method: name,
            request: "token acquisition",
            detail: "the access token is empty or holds a character other than visible ASCII (a header cannot carry it)"
          })
        }
        const issuedAt = grant.issuedAt ?? DateTime.unsafeMake(yield* Clock.currentTimeMillis)
        const expiresAt = grant.expiresAt ??
          (grant.expiresIn === undefined ? undefined : DateTime.addDuration(issuedAt, grant.expiresIn))
        return AccessToken.make({ value: grant.accessToken, instanceUrl, issuedAt, expiresAt })
      })

    const store = yield* TokenStore.TokenStore
    const slot = yield* (options.storeKey === undefined ? TokenStore.memory : store).slot(
      { loginHost: options.storeKey?.loginHost ?? "", method: name, principal: options.storeKey?.principal ?? "" },
      { refreshToken: options.refreshToken, whenUnavailable: options.whenStoreUnavailable ?? "local" }
    )
    const acquire = options.acquire
    const cooldownMillis = Duration.toMillis(options.failureCooldown ?? Duration.minutes(5))
    const isDefinite = (error: AuthError) => error instanceof AuthenticationError
    const usable = (token: AccessToken.AccessToken, now: number) => now < TokenCache.usableUntil(token, marginMillis)

    const run = (trigger: TokenCache.Trigger, previous: AccessToken.AccessToken | undefined) => {
      const attempt = (stored: TokenStore.TokenStore.Stored) =>
        previous !== undefined && options.refresh !== undefined
          ? options.refresh(previous)
          : Effect.isEffect(acquire)
          ? acquire
          : acquire(stored)
      // a rotated refresh token is kept before anything else can fail: the one just used is dead
      const once = (stored: TokenStore.TokenStore.Stored) =>
        Effect.flatMap(attempt(stored), (grant) =>
          grant.refreshToken === undefined
            ? toToken(grant)
            : Effect.zipRight(Effect.uninterruptible(stored.rotate(grant.refreshToken)), toToken(grant)))
      // a retry after a rotation must use the new refresh token, not the one first read
      const tracking = (stored: TokenStore.TokenStore.Stored): TokenStore.TokenStore.Stored => {
        let latest = stored.refreshToken
        return {
          get refreshToken() {
            return latest
          },
          rotate: (next) => Effect.tap(stored.rotate(next), () => Effect.sync(() => (latest = next)))
        }
      }
      // the policy is read when the acquisition runs, in the fiber of the caller that started it
      // (it inherits the caller's context), so `Effect.provideService(RetryPolicy, ...)` around a
      // `get` changes that acquisition; else the policy the provider was built under.
      // `context` below only supplies what `acquire` needs
      return Effect.flatMap(RetryPolicy.providedOr(builtWith), (policy) =>
        slot.acquire({
          previous,
          usable,
          check: (token) => Effect.as(trustedInstance(token.instanceUrl), token),
          cooldownMillis: (error) => (isDefinite(error) ? cooldownMillis : 0),
          revokesRefreshToken: (error) => options.refreshToken !== undefined && isDefinite(error),
          storeUnavailable: (operation, detail, policy) =>
            Effect.zipRight(
              policy === "local"
                ? Effect.logWarning(
                  `${name}: the token store is unreachable (${operation}: ${detail}); acquiring in this process alone`
                )
                : Effect.void,
              publish(SalesforceEvent.TokenStoreUnavailable({ authMethod: name, policy, operation, detail }))
            ),
          run: (stored) => {
            const tracked = tracking(stored)
            return RetryPolicy.retry(
              Effect.suspend(() => once(tracked)),
              policy,
              ({ attempt, delay, error }) =>
                publish(SalesforceEvent.Retry({
                  source: "auth",
                  operation: `${name} token ${trigger === "initial" ? "acquisition" : "refresh"}`,
                  attempt,
                  delayMillis: Duration.toMillis(delay),
                  reason: error.message
                }))
            ).pipe(Effect.provide(context))
          }
        }).pipe(
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () =>
            new TransportError({
              method: name,
              reason: "Timeout",
              request: "token acquisition",
              detail: `no token after ${Duration.format(timeout)}`
            })
        }),
        Effect.withSpan("TokenProvider.acquire", {
          captureStackTrace: false,
          attributes: { "salesforce.auth.method": name, "salesforce.auth.trigger": trigger }
        }),
        Effect.provide(context)
      ))
    }

    const settled = (
      trigger: TokenCache.Trigger,
      previous: AccessToken.AccessToken | undefined,
      exit: Exit.Exit<AccessToken.AccessToken, AuthError>
    ): Effect.Effect<void> => {
      if (Exit.isSuccess(exit)) {
        const token = exit.value
        const announce = previous === undefined
          ? SalesforceEvent.TokenAcquired({ authMethod: name, instanceUrl: token.instanceUrl, expiresAt: token.expiresAt })
          : SalesforceEvent.TokenRefreshed({
            authMethod: name,
            instanceUrl: token.instanceUrl,
            expiresAt: token.expiresAt,
            trigger: trigger === "initial" ? "manual" : trigger
          })
        return publish(announce)
      }
      const error = Cause.failureOption(exit.cause)
      if (Option.isNone(error)) return Effect.void
      return publish(SalesforceEvent.TokenFailed({
        authMethod: name,
        trigger,
        errorTag: error.value._tag,
        code: error.value._tag === "AuthenticationError" ? Option.some(error.value.code) : Option.none(),
        message: error.value.message
      }))
    }

    const cache = yield* TokenCache.make({
      run,
      settled,
      marginMillis,
      cooldownMillis,
      isDefinite,
      proactive: proactive === false ? undefined : { aheadMillis },
      retrySchedule: proactiveOptions.schedule ?? defaultProactiveSchedule,
      scope
    })

    return cache
  })

