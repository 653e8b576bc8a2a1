// A scenario's outcome: figures, and checks of the figures against the scenario's thresholds.

export interface Check {
  name: string
  /** "≤ 4", "= 0", … */
  target: string
  measured: number | string
  isMet: boolean
  /** Timing and memory targets are benchmarks; loss, duplicates, leaks and errors are invariants. */
  kind: 'invariant' | 'benchmark'
}

export interface Outcome {
  scenario: string
  target: string
  figures: Record<string, number | string>
  checks: Check[]
}

function threshold(isMax: boolean) {
  return (
    name: string,
    measured: number,
    limit: number | undefined,
    kind: Check['kind'],
  ): Check[] =>
    limit === undefined
      ? []
      : [
          {
            name,
            target: `${isMax ? '≤' : '≥'} ${limit}`,
            measured: round(measured),
            isMet: isMax ? measured <= limit : measured >= limit,
            kind,
          },
        ]
}

export const atMost = threshold(true)
export const atLeast = threshold(false)

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits

/** One Markdown table per outcome: figures, then checks. */
export function markdown(outcomes: Outcome[]): string {
  const out: string[] = []
  for (const o of outcomes) {
    out.push(`### ${o.scenario} — ${o.target}`, '', '| figure | value |', '| --- | --- |')
    for (const [k, v] of Object.entries(o.figures)) out.push(`| ${k} | ${v} |`)
    if (o.checks.length > 0) {
      out.push('', '| check | target | measured | met |', '| --- | --- | --- | --- |')
      for (const c of o.checks)
        out.push(
          `| ${c.name} (${c.kind}) | ${c.target} | ${c.measured} | ${c.isMet ? 'yes' : 'NO'} |`,
        )
    }
    out.push('')
  }
  return out.join('\n')
}

/** Side by side: the same figures of several targets, and PUO Memo's ratio to each reference. */
export function comparison(outcomes: Outcome[], figures: string[]): string {
  if (outcomes.length < 2) return ''
  const [base, ...refs] = outcomes as [Outcome, ...Outcome[]]
  const head = [
    'figure',
    ...outcomes.map((o) => o.target),
    ...refs.map((r) => `${base.target} / ${r.target}`),
  ]
  const rows = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`]
  for (const f of figures) {
    const values = outcomes.map((o) => o.figures[f])
    const ratios = refs.map((r) => {
      const a = Number(base.figures[f])
      const b = Number(r.figures[f])
      return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? round(a / b) : '—'
    })
    rows.push(`| ${[f, ...values.map((v) => v ?? '—'), ...ratios].join(' | ')} |`)
  }
  return rows.join('\n')
}
