use super::model::Node;

fn node(trace: &str) -> Node {
    Node { target: "aten::relu.default".into(), name: "relu".into(), inputs: Vec::new(), outputs: Vec::new(), stack_trace: Some(trace.into()) }
}

#[test]
fn the_user_line_is_the_innermost_frame_outside_torch() {
    let n = node("File \"/home/u/model.py\", line 6, in forward\n    y = torch.relu(s.l(x))\n  File \"/opt/et/lib/python3.11/site-packages/torch/nn/modules/linear.py\", line 134, in forward\n    return F.linear(input, self.weight, self.bias)");
    assert_eq!(n.source_line().as_deref(), Some("model.py:6 in forward"));
}

#[test]
fn torch_only_traces_name_torch_s_line() {
    let n = node("File \"/x/site-packages/torch/nn/modules/activation.py\", line 143, in forward\n    return F.relu(input)");
    assert_eq!(n.source_line().as_deref(), Some("activation.py:143 in forward"));
    assert_eq!(node("garbage").source_line(), None);
}

#[test]
fn garbage_is_not_an_archive() {
    assert!(matches!(super::parse(b"PK\x03\x04garbage"), Err(super::Error::Zip(_))));
    assert!(!super::is_archive(b"\0\0\0\0ET12"));
}
