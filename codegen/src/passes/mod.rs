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

/// Runs every rewrite. The graph computes the same outputs afterwards.
pub fn run(graph: &mut Graph) {
    for method in &mut graph.methods {
        quant::run(method, &mut graph.constants);
        fold::run(method, &mut graph.constants);
        fuse::run(method, &mut graph.constants);
        chain::run(method, &graph.constants);
        alias::run(method);
        dce::run(method);
        scratch::run(method);
    }
}
