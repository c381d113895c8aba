//! Gives kernels that need working memory a planned scratch value, as an
//! extra output of their node: the planner then places it in the arena,
//! live only while that node runs.

use crate::ir::{DType, Method, Op, Storage, TensorType, Value};

pub fn run(method: &mut Method) {
    for n in 0..method.nodes.len() {
        let node = &method.nodes[n];
        let shape = |v: usize| method.values[v].ty.shape.clone();
        let len = match &node.op {
            Op::Conv2d(conv) => conv.scratch(&shape(node.inputs[0]), &shape(node.inputs[1]), &shape(node.outputs[0])),
            Op::Winograd(_) => {
                let (x, u) = (shape(node.inputs[0]), shape(node.inputs[1]));
                crate::ir::winograd_scratch(x[1], u[1], x[2], x[3])
            }
            _ => continue,
        };
        if len == 0 || node.outputs.len() != 1 {
            continue;
        }
        method.values.push(Value { ty: TensorType { dtype: DType::F32, shape: vec![len] }, storage: Storage::Arena, source: None });
        let id = method.values.len() - 1;
        method.nodes[n].outputs.push(id);
    }
}
