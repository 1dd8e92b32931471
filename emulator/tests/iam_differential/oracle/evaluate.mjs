// Evaluates every case of ../cases.json with the third-party simulator @cloud-copilot/iam-simulate
// and writes ../expected.json: [{name, decision}] with decision Allowed | ExplicitlyDenied |
// ImplicitlyDenied. The emulator's evaluator must agree on every case (emulator/tests/iam_differential.rs).
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runSimulation } from '@cloud-copilot/iam-simulate'

const here = dirname(fileURLToPath(import.meta.url))
const cases = JSON.parse(readFileSync(join(here, '..', 'cases.json'), 'utf8'))
const PRINCIPAL = 'arn:aws:iam::111122223333:role/eks-sso-sync/member'

const accountOf = (arn) => (arn.split(':')[4] || '111122223333')

const results = []
let failed = 0
for (const c of cases) {
  const simulation = {
    identityPolicies: c.policies.map((policy, i) => ({ name: `p${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    request: {
      principal: PRINCIPAL,
      action: c.request.action,
      resource: { resource: c.request.resource, accountId: accountOf(c.request.resource) },
      contextVariables: c.request.context,
    },
  }
  const out = await runSimulation(simulation, {})
  if (out.resultType === 'error') {
    failed++
    console.error(`${c.name}: ${JSON.stringify(out.errors)}`)
    continue
  }
  const ignored = out.resultType === 'single' ? out.result.ignoredContextKeys ?? [] : []
  if (ignored.length > 0) {
    // A key the simulator drops is one the emulator would evaluate: the case would not test it.
    failed++
    console.error(`${c.name}: ignored context keys ${ignored.join(', ')}`)
  }
  results.push({ name: c.name, decision: out.overallResult })
}
writeFileSync(join(here, '..', 'expected.json'), JSON.stringify(results, null, 1) + '\n')
console.log(`${results.length} cases evaluated, ${failed} refused`)
process.exit(failed === 0 ? 0 : 1)
