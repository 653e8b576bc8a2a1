// The wire contract's schemas as Python TypedDicts (puo_memo/frames.py), for the Python client's type
// hints. The file is generated and committed; a test fails when it no longer matches the schemas.
// `bun src/client/pack/python-types.ts` rewrites it.
import { writeFileSync } from 'node:fs'
import { Kind, OptionalKind, type TSchema } from '@sinclair/typebox'
import * as clientFrames from '../../protocol/client-frames.ts'
import * as memory from '../../protocol/memory.ts'
import * as serverFrames from '../../protocol/server-frames.ts'
import { isSchema } from './declarations.ts'

export const PYTHON_TYPES_FILE = new URL('../python/puo_memo/frames.py', import.meta.url).pathname

const pascal = (s: string) =>
  s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join('')

/** The Python module text for the protocol's exported schemas (memory, then client and server frames). */
export function pythonTypes(): string {
  const names = new Map<TSchema, string>()
  const exported: [string, TSchema][] = []
  for (const m of [memory, clientFrames, serverFrames]) {
    for (const [name, value] of Object.entries(m)) {
      if (isSchema(value) && !names.has(value)) {
        names.set(value, name)
        exported.push([name, value])
      }
    }
  }
  const blocks: string[] = []
  const emitted = new Set<string>()

  /** A Python type expression for `schema`; objects become classes (named after `hint` if anonymous). */
  function typeOf(schema: TSchema, hint: string): string {
    const named = names.get(schema)
    if (named && emitted.has(named)) return named
    switch (schema[Kind]) {
      case 'Union': {
        const members = (schema.anyOf as TSchema[]).map((s, i) => typeOf(s, memberHint(s, hint, i)))
        return members.length === 1 ? (members[0] as string) : `Union[${members.join(', ')}]`
      }
      case 'Literal':
        return `Literal[${JSON.stringify(schema.const)}]`
      case 'String':
        return 'str'
      case 'Number':
        return 'float'
      case 'Integer':
        return 'int'
      case 'Boolean':
        return 'bool'
      case 'Null':
        return 'None'
      case 'Unknown':
      case 'Any':
        return 'Any'
      case 'Array':
        return `List[${typeOf(schema.items as TSchema, `${hint}Item`)}]`
      case 'Record':
        return 'Dict[str, Any]'
      case 'Object':
        return classOf(schema, named ?? hint)
      default:
        throw new Error(`no Python type for a schema of kind ${String(schema[Kind])}`)
    }
  }

  function classOf(schema: TSchema, name: string): string {
    if (emitted.has(name)) return name
    const props = Object.entries(schema.properties as Record<string, TSchema>)
    const required = new Set<string>((schema.required as string[] | undefined) ?? [])
    const line = ([key, prop]: [string, TSchema]) =>
      `    ${key}: ${typeOf(prop, name + pascal(key))}`
    const must = props.filter(([k, p]) => required.has(k) && p[OptionalKind] !== 'Optional')
    const may = props.filter(([k, p]) => !(required.has(k) && p[OptionalKind] !== 'Optional'))
    const mustLines = must.map(line)
    const mayLines = may.map(line)
    emitted.add(name)
    // Python 3.9 has no NotRequired: required keys in a base class, optional ones in a total=False child.
    if (mayLines.length === 0) {
      blocks.push(`class ${name}(TypedDict):\n${mustLines.join('\n') || '    pass'}`)
    } else if (mustLines.length === 0) {
      blocks.push(`class ${name}(TypedDict, total=False):\n${mayLines.join('\n')}`)
    } else {
      blocks.push(`class _${name}Required(TypedDict):\n${mustLines.join('\n')}`)
      blocks.push(`class ${name}(_${name}Required, total=False):\n${mayLines.join('\n')}`)
    }
    return name
  }

  for (const [name, schema] of exported) {
    const expr = typeOf(schema, name)
    if (expr !== name) {
      blocks.push(`${name} = ${expr}`)
      emitted.add(name)
    }
  }
  return `${[
    '"""The wire contract as type hints: generated from the server\'s protocol schemas; do not edit."""',
    'from typing import Any, Dict, List, Literal, TypedDict, Union',
    '',
    ...blocks.flatMap((b) => [b, '']),
  ]
    .join('\n')
    .trimEnd()}\n`
}

/** Frames in a union are named after their `type` (`tenant.user_joined` → `TenantUserJoinedFrame`). */
function memberHint(s: TSchema, hint: string, i: number): string {
  const type = (s.properties as Record<string, TSchema> | undefined)?.type?.const
  return typeof type === 'string' ? `${pascal(type)}Frame` : `${hint}${i}`
}

if (import.meta.main) writeFileSync(PYTHON_TYPES_FILE, pythonTypes())
