// Writes the protocol's schema modules as plain TypeScript declarations, so the package's types are the
// contract's own and need no schema library in the consumer. Each exported schema becomes a type of
// the same name; a nested schema that is itself exported is referred to by name (imported if it lives
// in another module).
import { Kind, OptionalKind, type TSchema } from '@sinclair/typebox'

export interface SchemaModule {
  /** File name without extension, as the other declarations import it (`./memory.js`). */
  name: string
  exports: Record<string, unknown>
}

export const isSchema = (v: unknown): v is TSchema =>
  typeof v === 'object' && v !== null && Kind in (v as object)

/** Declaration file text per module name. */
export function declarationsOf(modules: SchemaModule[]): Map<string, string> {
  const owner = new Map<TSchema, { module: string; name: string }>()
  for (const m of modules) {
    for (const [name, value] of Object.entries(m.exports)) {
      if (isSchema(value) && !owner.has(value)) owner.set(value, { module: m.name, name })
    }
  }
  const out = new Map<string, string>()
  for (const m of modules) {
    const imports = new Map<string, Set<string>>()
    const render = (schema: TSchema, indent: string, top: TSchema): string => {
      const named = owner.get(schema)
      if (named && schema !== top) {
        if (named.module !== m.name) {
          const names = imports.get(named.module) ?? new Set<string>()
          imports.set(named.module, names.add(named.name))
        }
        return named.name
      }
      return shape(schema, indent, (s, i) => render(s, i, top))
    }
    const body: string[] = []
    for (const [name, value] of Object.entries(m.exports)) {
      if (!isSchema(value)) continue
      body.push(`${doc(value, '')}export type ${name} = ${render(value, '', value)}`)
    }
    const head = [...imports].map(
      ([from, names]) => `import type { ${[...names].sort().join(', ')} } from './${from}.js'`,
    )
    out.set(m.name, `${[...head, ...body].join('\n')}\n`)
  }
  return out
}

type Render = (schema: TSchema, indent: string) => string

function shape(schema: TSchema, indent: string, render: Render): string {
  switch (schema[Kind]) {
    case 'Union': {
      const members = (schema.anyOf as TSchema[]).map((s) => render(s, indent))
      return members.join(' | ')
    }
    case 'Literal':
      return JSON.stringify(schema.const)
    case 'String':
      return 'string'
    case 'Number':
    case 'Integer':
      return 'number'
    case 'Boolean':
      return 'boolean'
    case 'Null':
      return 'null'
    case 'Unknown':
    case 'Any':
      return 'unknown'
    case 'Array': {
      const item = render(schema.items as TSchema, indent)
      return item.includes(' | ') ? `(${item})[]` : `${item}[]`
    }
    case 'Record': {
      const [value] = Object.values(schema.patternProperties as Record<string, TSchema>)
      return `Record<string, ${value ? render(value, indent) : 'unknown'}>`
    }
    case 'Object': {
      const props = Object.entries(schema.properties as Record<string, TSchema>)
      if (props.length === 0) return 'Record<string, never>'
      const required = new Set<string>((schema.required as string[] | undefined) ?? [])
      const inner = `${indent}  `
      const lines = props.map(([key, prop]) => {
        const optional = prop[OptionalKind] === 'Optional' || !required.has(key) ? '?' : ''
        return `${doc(prop, inner)}${inner}${key}${optional}: ${render(prop, inner)}`
      })
      return `{\n${lines.join('\n')}\n${indent}}`
    }
    default:
      throw new Error(`no declaration for a schema of kind ${String(schema[Kind])}`)
  }
}

function doc(schema: TSchema, indent: string): string {
  const text = schema.description as string | undefined
  return text ? `${indent}/** ${text} */\n` : ''
}
