//! Rewrites on the IR, run in order by `run`, then the memory plan.

mod alias;
mod chain;
mod dce;
pub(crate) mod fold;
mod fuse;
pub(crate) mod patch;
mod quant;
mod scratch;
mod winograd;
pub mod plan;

use crate::ir::Graph;

pub use patch::PatchReport;
pub use plan::{plan, Plan};
pub use quant::{Fallback, Int8Report};

/// Runs every rewrite. The graph computes the same outputs afterwards.
/// Returns, per method, what the int8 rewrite and patching made of it;
/// `patch` is the patch grid (`Config::patch`).
pub fn run(graph: &mut Graph, patch: Option<usize>) -> Vec<(Int8Report, Option<PatchReport>)> {
    let mut reports = Vec::new();
    for method in &mut graph.methods {
        let int8 = quant::run(method, &mut graph.constants);
        fold::run(method, &mut graph.constants);
        fuse::run(method, &mut graph.constants);
        winograd::run(method, &mut graph.constants);
        chain::run(method, &graph.constants);
        alias::run(method);
        dce::run(method);
        scratch::run(method);
        reports.push((int8, patch::run(method, patch)));
    }
    reports
}
