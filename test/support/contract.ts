// The wire contract as a test oracle: every frame a test socket receives is checked against the
// protocol's server-frame schema, and the run fails (test/setup.ts) on any frame that does not match.
import { TypeCompiler } from '@sinclair/typebox/compiler'
import 'elysia' // registers the string formats (uuid, date-time) the schemas use
import { ServerFrame } from '../../src/protocol/server-frames.ts'

const byType = new Map(
  ServerFrame.anyOf.map((member) => [member.properties.type.const, TypeCompiler.Compile(member)]),
)

/** Frame types seen by test sockets in this run. */
export const seenFrameTypes = new Set<string>()
export const contractViolations: string[] = []

/** Why `frame` breaks the contract, or undefined if it keeps it. */
export function contractProblem(frame: unknown): string | undefined {
  const type = (frame as { type?: unknown } | null)?.type
  const check = typeof type === 'string' ? byType.get(type as never) : undefined
  if (!check) return `unknown frame type ${JSON.stringify(type)}`
  if (check.Check(frame)) return undefined
  const e = check.Errors(frame).First()
  return `${type} at ${e?.path || '/'}: ${e?.message}`
}

export function checkServerFrame(frame: unknown): void {
  const problem = contractProblem(frame)
  if (problem === undefined) {
    seenFrameTypes.add((frame as { type: string }).type)
    return
  }
  contractViolations.push(`${problem}: ${JSON.stringify(frame).slice(0, 300)}`)
}
