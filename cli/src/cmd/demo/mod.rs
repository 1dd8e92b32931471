//! `demo`: the main job on the embedded emulator. Seeds a realistic organization, then narrates
//! a scenario through the same handlers the Lambdas run, and ends with the effective-access table
//! and the API calls made.

mod boundary;
mod changes;
mod narrator;
mod paths;
mod proposals;
mod report;
mod scenario;
mod world;

use std::process::ExitCode;
use std::time::Instant;

use serde_json::json;

use crate::args::{DemoArgs, GlobalArgs, OutputFormat};
use crate::output;
use narrator::Narrator;
use world::DemoWorld;

/// Runs the demo.
pub async fn run(global: &GlobalArgs, args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let format = output::format(global);
    let started = Instant::now();
    let mut n = Narrator::new(format == OutputFormat::Table);
    let mut world = DemoWorld::start(args.latency_ms).await?;

    n.step("Initial sync: the scheduled sweep reconciles every managed cluster");
    n.note("organization: accounts 111111111111 (platform) and 222222222222 (payments-prod), Identity Center in eu-west-1");
    n.note("not managed: sandbox (no eks-sso-sync tag), legacy-batch (excluded by name)");
    scenario::sweep(&world, &mut n, "initial").await?;
    n.step("Role path shapes: Identity Center in us-east-1");
    paths::us_east_1(&mut n).await?;
    n.step("A person joins a group");
    scenario::person_joins(&world, &mut n).await?;
    n.step("A new team onboards itself through the convention rule EKSTeam-{team}");
    scenario::team_onboards(&world, &mut n).await?;
    n.step("A role recreated under the same ARN");
    scenario::role_recreated(&world, &mut n).await?;
    n.step("A new cluster: CREATING → ACTIVE gets its baseline");
    changes::new_cluster(&world, &mut n).await?;
    n.step("A scope change, applied in place");
    changes::scope_change(&mut world, &mut n).await?;
    n.step("Drift repaired at once from its CloudTrail records");
    changes::drift(&world, &mut n).await?;
    n.step("A typo in the mapping: held and reported, never a deletion");
    proposals::typo(&world, &mut n).await?;
    n.step("A change refused by the lockout guard");
    proposals::lockout(&world, &mut n).await?;
    n.step("The IAM boundary: the member roles under their deployed policy");
    boundary::iam_boundary(&world, &mut n).await?;

    let rows = report::access_rows(&world).await?;
    let counts = world.emulator.request_counts();
    let elapsed_ms = started.elapsed().as_millis() as u64;
    match format {
        OutputFormat::Table => {
            outln!("\n== Effective access\n{}", report::access_table(&rows));
            outln!("\n== AWS API calls\n{}", report::calls_table(&counts));
            outln!("\ndemo finished in {:.1} s", elapsed_ms as f64 / 1000.0);
        }
        OutputFormat::Json => output::print_json(&json!({
            "schema_version": 1,
            "steps": n.steps,
            "access": rows,
            "api_calls": counts,
            "elapsed_ms": elapsed_ms,
        }))?,
    }
    world.stop().await;
    Ok(ExitCode::SUCCESS)
}
