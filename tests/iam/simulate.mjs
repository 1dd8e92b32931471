// Evaluates requests against the rendered policies (render.py) with @cloud-copilot/iam-simulate,
// a maintained third-party IAM policy simulator: nothing here decides allow or deny itself.
//
//   node simulate.mjs POLICIES_JSON --allowed CORPUS.jsonl... --denied ATTACKS.json
//
// allowed: every line of every corpus (deduplicated) must be Allowed for the role it was made with.
//          Lines the emulator recorded for an enforced role carry its own decision
//          (emulator_decision): a call the emulator refused (the demo's deliberate escalation)
//          must be refused by the simulator too, and every such line counts towards the
//          emulator's agreement with the simulator, which must be 100 %.
// denied:  every attack must be denied (implicitly or explicitly).
// Prints both tables and their counts; exits 1 on any mismatch.
import { readFileSync } from 'node:fs'
import { runSimulation } from '@cloud-copilot/iam-simulate'

const args = process.argv.slice(2)
const policies = JSON.parse(readFileSync(args[0], 'utf8'))
const allowedFiles = []
const deniedFiles = []
let list = null
for (const a of args.slice(1)) {
  if (a === '--allowed') list = allowedFiles
  else if (a === '--denied') list = deniedFiles
  else list.push(a)
}

const accountOf = (arn) => arn.split(':')[4]
const roleName = (arn) => arn.split('/').pop()

/** The rendered role a caller ARN (arn:aws:iam::ACCT:role/PATH/NAME) stands for. */
function roleFor(variant, principal) {
  const roles = policies[variant]?.roles
  if (!roles) throw new Error(`unknown variant ${variant}`)
  const account = accountOf(principal)
  const name = roleName(principal)
  if (roles[`${account}/${name}`]) return roles[`${account}/${name}`]
  // Hub function roles have generated names (<stack>-<LogicalId>-<suffix>).
  const hub = Object.keys(roles).filter(
    (k) => k.startsWith(`${account}/`) && name.includes(k.slice(account.length + 1)),
  )
  if (hub.length === 1) return roles[hub[0]]
  throw new Error(`no rendered role for principal ${principal} (variant ${variant})`)
}

/** The rendered role whose ARN is `arn` (the target of sts:AssumeRole), if any. */
function targetRole(variant, arn) {
  if (!arn.includes(':role/')) return undefined
  return policies[variant].roles[`${accountOf(arn)}/${roleName(arn)}`]
}

async function evaluate(req) {
  const variant = req.variant ?? 'deployed'
  const context = {
    'aws:PrincipalArn': req.principal,
    'aws:PrincipalAccount': accountOf(req.principal),
    'aws:PrincipalType': 'AssumedRole',
    ...(req.context ?? {}),
  }
  const resourceAccount = accountOf(req.resource) || accountOf(req.principal)
  const simulation = {
    request: {
      principal: req.principal,
      action: req.action,
      resource: { resource: req.resource, accountId: resourceAccount },
      contextVariables: context,
    },
    identityPolicies: [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  }
  if (req.caller_policy === 'attacker-holds-everything') {
    // A principal outside eks-sso-sync's roles, allowed everything in its own account: only the
    // resource policy under test can stop it.
    simulation.identityPolicies.push({
      name: 'everything',
      policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
    })
  } else {
    let role
    try {
      role = roleFor(variant, req.principal)
    } catch (error) {
      return { decision: 'Error', detail: error.message }
    }
    role.policies.forEach((policy, i) =>
      simulation.identityPolicies.push({ name: `policy-${i}`, policy }),
    )
  }
  if (req.action === 'events:PutEvents' && req.resource === policies[variant].bus.arn) {
    simulation.resourcePolicy = policies[variant].bus.policy
  } else if (policies[variant].resource_policies[req.resource]) {
    simulation.resourcePolicy = policies[variant].resource_policies[req.resource]
  } else if (req.action === 'sts:AssumeRole') {
    const target = targetRole(variant, req.resource)
    if (target) simulation.resourcePolicy = target.trust
  }
  const result = await runSimulation(simulation, {})
  if (result.resultType === 'error') {
    return { decision: 'Error', detail: short(JSON.stringify(result.errors), 400) }
  }
  const ignored = result.resultType === 'single' ? result.result.ignoredContextKeys ?? [] : []
  return { decision: result.overallResult, ignored }
}

function dedupe(lines) {
  const seen = new Map()
  for (const l of lines) {
    const key = JSON.stringify([l.principal, l.action, l.resource, l.context ?? {}, l.variant ?? 'deployed'])
    if (!seen.has(key)) seen.set(key, l)
  }
  return [...seen.values()]
}

const short = (s, n = 110) => (s.length > n ? s.slice(0, n - 1) + '…' : s)
let failures = 0

// ---------------------------------------------------------------- allowed
const recorded = dedupe(
  allowedFiles.flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .filter((l) => l.trim() && !l.trim().startsWith('//'))
      .map((l) => JSON.parse(l)),
  ),
)
const refusedByEmulator = (l) => l.emulator_decision && l.emulator_decision !== 'Allowed'
const corpus = recorded.filter((l) => !refusedByEmulator(l))
const refused = recorded.filter(refusedByEmulator)
let judged = 0
let agreed = 0
const agreement = (req, decision) => {
  if (!req.emulator_decision) return
  judged++
  const denied = (d) => d === 'ImplicitlyDenied' || d === 'ExplicitlyDenied'
  if (denied(req.emulator_decision) === denied(decision)) agreed++
  else failures++
}
let allowed = 0
console.log(`allowed table: every call the engine and the functions make (${corpus.length} distinct)`)
for (const req of corpus) {
  const { decision, ignored, detail } = await evaluate(req)
  const ok = decision === 'Allowed'
  if (ok) allowed++
  else if (!req.emulator_decision) failures++
  agreement(req, decision)
  const who = roleName(req.principal)
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${decision.padEnd(17)} ${who.padEnd(42)} ${req.action.padEnd(32)} ${short(req.resource, 90)}`)
  if (!ok && detail) console.log(`       ${detail}`)
  if (ignored?.length) console.log(`       (context keys the simulator ignores for this action: ${ignored.join(', ')})`)
}

// ------------------------------------------------ refused by the emulator
console.log(`\nrefused by the enforcing emulator (${refused.length}): the simulator must refuse them too`)
for (const req of refused) {
  const { decision, detail } = await evaluate(req)
  agreement(req, decision)
  const ok = decision === 'ImplicitlyDenied' || decision === 'ExplicitlyDenied'
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${decision.padEnd(17)} ${roleName(req.principal).padEnd(42)} ${req.action.padEnd(32)} ${short(req.resource, 90)}`)
  if (!ok && detail) console.log(`       ${detail}`)
}

// ---------------------------------------------------------------- denied
const attacks = deniedFiles.flatMap((f) => JSON.parse(readFileSync(f, 'utf8')).attacks)
let denied = 0
console.log(`\ndenied table: the attack suite (${attacks.length})`)
for (const attack of attacks) {
  const { decision, ignored, detail } = await evaluate(attack)
  const ok = decision === 'ImplicitlyDenied' || decision === 'ExplicitlyDenied'
  if (ok) denied++
  else failures++
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${decision.padEnd(17)} ${attack.name}`)
  if (!ok) console.log(`       must be denied: ${attack.why}${detail ? `\n       ${detail}` : ''}`)
  if (ignored?.length) console.log(`       (context keys the simulator ignores for this action: ${ignored.join(', ')})`)
}

console.log(`\nallowed: ${allowed}/${corpus.length}`)
console.log(`denied: ${denied}/${attacks.length}`)
console.log(`emulator agreement: ${agreed}/${judged}`)
process.exit(failures === 0 && corpus.length > 0 && attacks.length >= 20 ? 0 : 1)
