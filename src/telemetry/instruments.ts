// Every OpenTelemetry instrument PUO Memo records, declared in one place. Attributes stay
// low-cardinality: no tenant or user ids (per-tenant figures belong to /api/v4/ws/status).
import type { Meter } from '@opentelemetry/api'

export function createInstruments(meter: Meter) {
  return {
    activeConnections: meter.createUpDownCounter('puo.ws.connections.active', {
      description: 'Open WebSocket connections',
      unit: '{connection}',
    }),
    connectionsOpened: meter.createCounter('puo.ws.connections.opened', {
      description: 'WebSocket connections accepted',
      unit: '{connection}',
    }),
    connectionsClosed: meter.createCounter('puo.ws.connections.closed', {
      description: 'WebSocket connections closed, by close code',
      unit: '{connection}',
    }),
    connectionDuration: meter.createHistogram('puo.ws.connection.duration', {
      description: 'How long WebSocket connections stayed open',
      unit: 's',
    }),
    messagesReceived: meter.createCounter('puo.ws.messages.received', {
      description: 'Client frames received, by type',
      unit: '{message}',
    }),
    messagesSent: meter.createCounter('puo.ws.messages.sent', {
      description:
        'Frames sent to clients (a topic publish counts once per receiving socket), by type',
      unit: '{message}',
    }),
    deliveryLatency: meter.createHistogram('puo.event.delivery.latency', {
      description: 'From the write of an event to its fan-out to sockets',
      unit: 'ms',
      advice: { explicitBucketBoundaries: [1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 2500, 5000] },
    }),
    pendingAge: meter.createObservableGauge('puo.events.pending.age', {
      description:
        'Age of the oldest committed event waiting on this instance for an earlier one (0 when none): the relay lag',
      unit: 'ms',
    }),
    busPublishErrors: meter.createCounter('puo.bus.publish.errors', {
      description:
        'Events that could not be published to other instances (they reach them from the log)',
      unit: '{event}',
    }),
    busRecoveries: meter.createCounter('puo.bus.recoveries', {
      description: 'Times the bus came back after an outage',
      unit: '{recovery}',
    }),
    eventsFromLog: meter.createCounter('puo.events.filled_from_log', {
      description: 'Events this instance read from the event log because the bus missed them',
      unit: '{event}',
    }),
    limitRejections: meter.createCounter('puo.ws.limit.rejections', {
      description: 'Connections or frames refused by a limit, by limit',
      unit: '{rejection}',
    }),
    httpDuration: meter.createHistogram('http.server.request.duration', {
      description: 'Duration of HTTP server requests',
      unit: 's',
      advice: {
        explicitBucketBoundaries: [
          0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
        ],
      },
    }),
  }
}

export type Instruments = ReturnType<typeof createInstruments>
