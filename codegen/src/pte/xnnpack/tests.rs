//! Hand-built payloads: what the reader accepts, refuses and reports.

use flatbuffers::FlatBufferBuilder;

use super::generated as fb;
use super::read::read;
use crate::pte::Program;

/// An `XH00` payload around a graph of two f32 `[1, 4]` values (call input 0,
/// call output 1) and one 1-in-1-out node of type `ty` from `input` to 1.
fn payload(ty: fb::NodeUnion, input: u32, constant: u32) -> Vec<u8> {
    let mut b = FlatBufferBuilder::new();
    let values: Vec<_> = [(0u32, 1u32), (1, 2)]
        .iter()
        .map(|&(id, flags)| {
            let dims = b.create_vector(&[1u32, 4]);
            let args = fb::TensorValueArgs {
                datatype: fb::DataType::F32,
                num_dims: 2,
                dims: Some(dims),
                constant_buffer_idx: if id == 0 { constant } else { 0 },
                external_id: id,
                flags,
                id_out: id,
            };
            let t = fb::TensorValue::create(&mut b, &args);
            fb::Value::create(&mut b, &fb::ValueArgs { value_type: fb::ValueUnion::TensorValue, value: Some(t.as_union_value()) })
        })
        .collect();
    let values = b.create_vector(&values);
    let n = fb::Node1x1::create(&mut b, &fb::Node1x1Args { input_id: input, output_id: 1, flags: 0 });
    let node = fb::Node::create(&mut b, &fb::NodeArgs { node_type: ty, node: Some(n.as_union_value()), ..Default::default() });
    let nodes = b.create_vector(&[node]);
    let graph = fb::Graph::create(&mut b, &fb::GraphArgs { nodes: Some(nodes), values: Some(values), num_externs: 2, ..Default::default() });
    fb::finish_graph_buffer(&mut b, graph);
    let graph = b.finished_data();
    let mut p = vec![0u8; 4];
    p.extend_from_slice(b"XH00");
    p.extend_from_slice(&30u16.to_le_bytes());
    p.extend_from_slice(&32u32.to_le_bytes());
    p.extend_from_slice(&(graph.len() as u32).to_le_bytes());
    p.extend_from_slice(&((32 + graph.len()) as u32).to_le_bytes());
    p.extend_from_slice(&0u64.to_le_bytes());
    p.resize(32, 0);
    p.extend_from_slice(graph);
    p
}

fn empty_program() -> Program {
    Program {
        version: 0,
        plans: vec![],
        constants: vec![],
        mutable_data: vec![],
        named_data: vec![],
        segments: vec![],
        inline_delegate_data: vec![],
    }
}

#[test]
fn reads_a_node_and_its_external_values() {
    let p = payload(fb::NodeUnion::Sigmoid, 0, 0);
    let g = read(&empty_program(), &p, 0..p.len()).unwrap();
    assert_eq!(g.nodes.len(), 1);
    assert_eq!((g.nodes[0].name, g.nodes[0].output), ("Sigmoid", 1));
    let v = g.value(0).unwrap();
    assert_eq!((v.is_input, v.external, v.dims.clone()), (true, Some(0), vec![1, 4]));
    assert!(g.value(1).unwrap().is_output);
}

#[test]
fn names_unsupported_node_types() {
    let p = payload(fb::NodeUnion::ScaledDotProductAttention, 0, 0);
    let g = read(&empty_program(), &p, 0..p.len()).unwrap();
    assert_eq!(crate::lower::xnnpack_census(&g), [("ScaledDotProductAttention".to_string(), false)]);
}

#[test]
fn refuses_missing_values_and_constants() {
    let p = payload(fb::NodeUnion::Sigmoid, 7, 0);
    let e = read(&empty_program(), &p, 0..p.len()).unwrap_err();
    assert_eq!(e, "XNNPACK node 0 (Sigmoid): value id 7 does not exist");
    let p = payload(fb::NodeUnion::Sigmoid, 0, 3);
    let e = read(&empty_program(), &p, 0..p.len()).unwrap_err();
    assert_eq!(e, "XNNPACK value 0: refers to constant data, but the graph has none");
    let e = read(&empty_program(), &p[..40], 0..40).unwrap_err();
    assert!(e.contains("lies outside"), "{e}");
}

/// The mlp twin with its delegate's graph swapped for one holding an argmax pooling:
/// the program fails to compile, and the error names the node type.
#[test]
fn an_unsupported_node_is_a_build_error_naming_it() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/mlp/model.xnnpack.pte");
    let mut bytes = std::fs::read(path).unwrap();
    let program = crate::pte::parse(&bytes).unwrap();
    let super::DelegateData::Segment(s) = program.plans[0].delegates[0].data else { panic!("inline payload") };
    let range = program.segments[s].clone();
    let p = payload(fb::NodeUnion::ScaledDotProductAttention, 0, 0);
    assert!(p.len() <= range.len());
    bytes[range.clone()].fill(0);
    bytes[range.start..range.start + p.len()].copy_from_slice(&p);
    let e = crate::generate(&bytes, &crate::Config::new("mlp")).unwrap_err().to_string();
    assert!(e.contains("1 unsupported op") && e.contains("xnnpack ScaledDotProductAttention  used 1 time"), "{e}");
}
