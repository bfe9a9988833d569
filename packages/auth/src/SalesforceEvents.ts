/**
 * The event bus shared by the auth layers and the client layer: one `PubSub` of
 * {@link SalesforceEvent}s.
 *
 * Policy: the bus is a sliding `PubSub`. Publishing never blocks and never fails; with no
 * subscriber an event is dropped at once (nothing is stored); a subscriber that falls more than
 * `capacity` events behind loses the oldest ones, so a slow subscriber never stalls a request
 * and never grows memory without bound.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import type * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { SalesforceEvent } from "./SalesforceEvent.js"

/**
 * @since 0.1.0
 * @category services
 */
export class SalesforceEvents extends Context.Tag("@effect-salesforce/auth/SalesforceEvents")<
  SalesforceEvents,
  SalesforceEvents.Service
>() {}

/**
 * @since 0.1.0
 */
export declare namespace SalesforceEvents {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** Publish an event; never blocks, never fails. */
    readonly publish: (event: SalesforceEvent) => Effect.Effect<void>
    /** Subscribe now (no event published after this returns is missed); the subscription ends with the scope. */
    readonly subscribe: Effect.Effect<Queue.Dequeue<SalesforceEvent>, never, Scope.Scope>
    /** A stream of events, subscribed now (not when the stream starts); ends with the scope. */
    readonly stream: Effect.Effect<Stream.Stream<SalesforceEvent>, never, Scope.Scope>
    /** The underlying `PubSub`, for advanced use. */
    readonly pubsub: PubSub.PubSub<SalesforceEvent>
  }

  /**
   * @since 0.1.0
   * @category models
   */
  export interface Options {
    /** How many events a subscriber may lag behind before the oldest are dropped. Default 4096. */
    readonly capacity?: number
  }
}

/**
 * Build a bus. The `PubSub` is shut down when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: SalesforceEvents.Options = {}): Effect.Effect<SalesforceEvents.Service, never, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(PubSub.sliding<SalesforceEvent>(options.capacity ?? 4096), PubSub.shutdown),
    (pubsub): SalesforceEvents.Service => ({
      pubsub,
      // a bus that is already shut down drops the event: publishing never fails nor interrupts
      publish: (event) =>
        Effect.flatMap(PubSub.isShutdown(pubsub), (down) => (down ? Effect.void : Effect.asVoid(PubSub.publish(pubsub, event)))),
      subscribe: PubSub.subscribe(pubsub),
      stream: Stream.fromPubSub(pubsub, { scoped: true })
    })
  )

/**
 * The bus with the default capacity. A value, not a function: every reference is the same
 * layer, so a program that names it twice still has one bus. For another capacity:
 * `Layer.scoped(SalesforceEvents, SalesforceEvents.make({ capacity }))`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<SalesforceEvents> = Layer.scoped(SalesforceEvents, make())

/**
 * Publish an event on the bus in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const publish = (event: SalesforceEvent): Effect.Effect<void, never, SalesforceEvents> =>
  Effect.flatMap(SalesforceEvents, (bus) => bus.publish(event))
