//! Rewrites on the IR, run in order by `run`, then the memory plan.

mod alias;
mod chain;
mod dce;
pub(crate) mod fold;
mod fuse;
mod quant;
mod scratch;
pub mod plan;

use crate::ir::Graph;

pub use plan::{plan, Plan};
pub use quant::{Fallback, Int8Report};

/// Runs every rewrite. The graph computes the same outputs afterwards.
/// Returns, per method, what the int8 rewrite made of it.
pub fn run(graph: &mut Graph) -> Vec<Int8Report> {
    let mut reports = Vec::new();
    for method in &mut graph.methods {
        reports.push(quant::run(method, &mut graph.constants));
        fold::run(method, &mut graph.constants);
        fuse::run(method, &mut graph.constants);
        chain::run(method, &graph.constants);
        alias::run(method);
        dce::run(method);
        scratch::run(method);
    }
    reports
}
