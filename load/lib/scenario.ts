// The Bun runner's view of load/scenarios.json (the k6 scripts read the same file).

import { type Params, paramsFrom } from '../params.ts'
import definitions from '../scenarios.json'

export type { Params }
export type ScenarioName = keyof typeof definitions.scenarios
export const scenarioNames = Object.keys(definitions.scenarios) as ScenarioName[]

export const paramsOf = (name: ScenarioName, ci: boolean, overrides: Partial<Params> = {}) =>
  paramsFrom(definitions, name, ci, overrides)

export const descriptionOf = (name: ScenarioName) => definitions.scenarios[name].description
