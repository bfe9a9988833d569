/**
 * The event bus shared by the auth layers and the client layer: one `PubSub` of
 * {@link SalesforceEvent}s.
 *
 * Policy: the bus is a sliding `PubSub`. Publishing never blocks and never fails; with no
 * subscriber an event is dropped at once (nothing is stored, nothing is done); a subscriber that
 * falls more than `capacity` events behind loses the oldest ones, so a slow subscriber never
 * stalls a request and never grows memory without bound. What was lost is counted (`dropped`)
 * and reported by an `EventsDropped` event at most once a second, so a gap is explained.
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
import { SalesforceEvent } from "./SalesforceEvent.js"

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
    /** How many events a subscriber that fell behind has lost since the bus started. */
    readonly dropped: Effect.Effect<number>
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

/** The least time between two `EventsDropped` reports. */
const dropReportIntervalMillis = 1_000

/**
 * Build a bus. The `PubSub` is shut down when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: SalesforceEvents.Options = {}): Effect.Effect<SalesforceEvents.Service, never, Scope.Scope> =>
  Effect.gen(function*() {
    const capacity = Math.max(1, Math.floor(options.capacity ?? 4096))
    const pubsub = yield* Effect.acquireRelease(PubSub.sliding<SalesforceEvent>(capacity), PubSub.shutdown)
    const clock = yield* Effect.clock
    let subscribers = 0
    let dropped = 0
    let unreported = 0
    let reportedAt = Number.NEGATIVE_INFINITY
    /** Counts the subscription for as long as the scope lives. */
    const counted = <A>(subscription: Effect.Effect<A, never, Scope.Scope>) =>
      Effect.zipLeft(
        subscription,
        Effect.acquireRelease(Effect.sync(() => subscribers++), () => Effect.sync(() => subscribers--))
      )
    // Before a publish: a backlog at capacity means the slowest subscriber loses its oldest event.
    // Returns the report to publish after it, if one is due.
    const countDrop = (backlog: number): SalesforceEvent | undefined => {
      if (backlog < capacity) return undefined
      dropped++
      unreported++
      const now = clock.unsafeCurrentTimeMillis()
      if (now - reportedAt < dropReportIntervalMillis) return undefined
      reportedAt = now
      // the report takes a place in the full backlog too: one more lost, told in the next report
      dropped++
      const report = SalesforceEvent.EventsDropped({ count: unreported, total: dropped })
      unreported = 1
      return report
    }
    const offer = (event: SalesforceEvent): Effect.Effect<void> =>
      Effect.flatMap(PubSub.size(pubsub), (backlog) => {
        const report = countDrop(backlog)
        const published = Effect.asVoid(PubSub.publish(pubsub, event))
        return report === undefined ? published : Effect.zipRight(published, Effect.asVoid(PubSub.publish(pubsub, report)))
      })
    return {
      // nobody listening: nothing to do. A bus already shut down drops the event: publishing never
      // fails nor interrupts.
      publish: (event) =>
        Effect.suspend(() =>
          subscribers === 0 ? Effect.void : Effect.flatMap(PubSub.isShutdown(pubsub), (down) => (down ? Effect.void : offer(event)))
        ),
      subscribe: counted(PubSub.subscribe(pubsub)),
      stream: counted(Stream.fromPubSub(pubsub, { scoped: true })),
      dropped: Effect.sync(() => dropped)
    }
  })

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
