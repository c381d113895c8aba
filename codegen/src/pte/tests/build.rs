//! Builds small programs with the generated builder, for paths the zoo
//! does not exercise (inline constants, bad indices, jumps, ...).

use flatbuffers::{FlatBufferBuilder, UnionWIPOffset, WIPOffset};

use super::super::generated as fb;

pub enum V {
    Null,
    Int(i64),
    /// f32 tensor with these sizes and constant buffer index.
    Tensor(Vec<i32>, u32),
    /// f32 tensor planned at (memory_id, offset), with initial data at this
    /// index of mutable_data_segments[0] (0: none).
    Planned(Vec<i32>, u32, u32, u32),
    List(Vec<i32>),
    OptList(Vec<i32>),
    /// A value whose union tag is this raw code.
    Tag(u8),
}

pub enum I {
    Kernel(i32, Vec<i32>),
    Delegate(i32, Vec<i32>),
    Jump(i32, i32),
    Move(i32, i32),
    Free(i32),
}

pub struct Spec {
    pub values: Vec<V>,
    pub inputs: Vec<i32>,
    pub outputs: Vec<i32>,
    pub instrs: Vec<I>,
    /// Inline constant buffers after the reserved empty one.
    pub constants: Vec<Vec<u8>>,
    pub delegate_blobs: Vec<Vec<u8>>,
    pub arenas: Vec<i64>,
    /// Data segments: placed after an extended header when non-empty.
    pub segments: Vec<Vec<u8>>,
    /// mutable_data_segments: (segment index, offsets).
    pub mutable: Vec<(u32, Vec<u64>)>,
    pub named: Vec<(&'static str, u32)>,
}

impl Default for Spec {
    /// out = add(const, input): a small valid program.
    fn default() -> Self {
        Spec {
            values: vec![
                V::Tensor(vec![2], 1),
                V::Planned(vec![2], 1, 0, 0),
                V::Planned(vec![2], 1, 8, 0),
                V::Int(1),
            ],
            inputs: vec![1],
            outputs: vec![2],
            instrs: vec![I::Kernel(0, vec![0, 1, 3, 2])],
            constants: vec![[1.5f32, -2.0]
                .iter()
                .flat_map(|f| f.to_le_bytes())
                .collect()],
            delegate_blobs: vec![b"blob".to_vec()],
            arenas: vec![0, 16],
            segments: Vec::new(),
            mutable: Vec::new(),
            named: Vec::new(),
        }
    }
}

type B<'a> = FlatBufferBuilder<'a>;

fn tensor(
    b: &mut B<'_>,
    sizes: &[i32],
    idx: u32,
    alloc: Option<(u32, u32)>,
) -> WIPOffset<UnionWIPOffset> {
    let sizes = Some(b.create_vector(sizes));
    let allocation_info = alloc.map(|(memory_id, memory_offset_low)| {
        let args = fb::AllocationDetailsArgs {
            memory_id,
            memory_offset_low,
            memory_offset_high: 0,
        };
        fb::AllocationDetails::create(b, &args)
    });
    let args = fb::TensorArgs {
        scalar_type: fb::ScalarType::FLOAT,
        sizes,
        data_buffer_idx: idx,
        allocation_info,
        ..Default::default()
    };
    fb::Tensor::create(b, &args).as_union_value()
}

fn value<'a>(b: &mut B<'a>, v: &V) -> WIPOffset<fb::EValue<'a>> {
    use fb::KernelTypes as K;
    let (val_type, val) = match v {
        V::Null => (
            K::Null,
            fb::Null::create(b, &fb::NullArgs {}).as_union_value(),
        ),
        V::Int(i) => (
            K::Int,
            fb::Int::create(b, &fb::IntArgs { int_val: *i }).as_union_value(),
        ),
        V::Tensor(s, idx) => (K::Tensor, tensor(b, s, *idx, None)),
        V::Planned(s, m, o, d) => (K::Tensor, tensor(b, s, *d, Some((*m, *o)))),
        V::List(items) => {
            let items = Some(b.create_vector(items));
            (
                K::TensorList,
                fb::TensorList::create(b, &fb::TensorListArgs { items }).as_union_value(),
            )
        }
        V::OptList(items) => {
            let items = Some(b.create_vector(items));
            let args = fb::OptionalTensorListArgs { items };
            (
                K::OptionalTensorList,
                fb::OptionalTensorList::create(b, &args).as_union_value(),
            )
        }
        V::Tag(0) => {
            return fb::EValue::create(
                b,
                &fb::EValueArgs {
                    val_type: K::NONE,
                    val: None,
                },
            )
        }
        V::Tag(t) => (
            K(*t),
            fb::Null::create(b, &fb::NullArgs {}).as_union_value(),
        ),
    };
    fb::EValue::create(
        b,
        &fb::EValueArgs {
            val_type,
            val: Some(val),
        },
    )
}

fn instruction<'a>(b: &mut B<'a>, i: &I) -> WIPOffset<fb::Instruction<'a>> {
    use fb::InstructionArguments as A;
    let (ty, args) = match i {
        I::Kernel(op_index, args) => {
            let args = Some(b.create_vector(args));
            (
                A::KernelCall,
                fb::KernelCall::create(
                    b,
                    &fb::KernelCallArgs {
                        op_index: *op_index,
                        args,
                    },
                )
                .as_union_value(),
            )
        }
        I::Delegate(delegate_index, args) => {
            let args = Some(b.create_vector(args));
            let a = fb::DelegateCallArgs {
                delegate_index: *delegate_index,
                args,
            };
            (
                A::DelegateCall,
                fb::DelegateCall::create(b, &a).as_union_value(),
            )
        }
        I::Jump(c, d) => {
            let a = fb::JumpFalseCallArgs {
                cond_value_index: *c,
                destination_instruction: *d,
            };
            (
                A::JumpFalseCall,
                fb::JumpFalseCall::create(b, &a).as_union_value(),
            )
        }
        I::Move(f, t) => {
            let a = fb::MoveCallArgs {
                move_from: *f,
                move_to: *t,
            };
            (A::MoveCall, fb::MoveCall::create(b, &a).as_union_value())
        }
        I::Free(v) => (
            A::FreeCall,
            fb::FreeCall::create(b, &fb::FreeCallArgs { value_index: *v }).as_union_value(),
        ),
    };
    fb::Instruction::create(
        b,
        &fb::InstructionArgs {
            instr_args_type: ty,
            instr_args: Some(args),
        },
    )
}

pub fn build(spec: &Spec) -> Vec<u8> {
    let mut b = FlatBufferBuilder::new();
    let values: Vec<_> = spec.values.iter().map(|v| value(&mut b, v)).collect();
    let values = Some(b.create_vector(&values));
    let instrs: Vec<_> = spec.instrs.iter().map(|i| instruction(&mut b, i)).collect();
    let instructions = Some(b.create_vector(&instrs));
    let chain = fb::Chain::create(
        &mut b,
        &fb::ChainArgs {
            instructions,
            ..Default::default()
        },
    );
    let chains = Some(b.create_vector(&[chain]));
    let (name, overload) = (
        Some(b.create_string("aten::add")),
        Some(b.create_string("out")),
    );
    let op = fb::Operator::create(&mut b, &fb::OperatorArgs { name, overload });
    let operators = Some(b.create_vector(&[op]));
    let delegates: Vec<_> = (0..spec.delegate_blobs.len())
        .map(|k| {
            let id = Some(b.create_string("XnnpackBackend"));
            let r = fb::BackendDelegateDataReferenceArgs {
                location: fb::DataLocation::INLINE,
                index: k as u32,
            };
            let processed = Some(fb::BackendDelegateDataReference::create(&mut b, &r));
            fb::BackendDelegate::create(
                &mut b,
                &fb::BackendDelegateArgs {
                    id,
                    processed,
                    compile_specs: None,
                },
            )
        })
        .collect();
    let delegates = Some(b.create_vector(&delegates));
    let plan = fb::ExecutionPlanArgs {
        name: Some(b.create_string("forward")),
        values,
        inputs: Some(b.create_vector(&spec.inputs)),
        outputs: Some(b.create_vector(&spec.outputs)),
        chains,
        operators,
        delegates,
        non_const_buffer_sizes: Some(b.create_vector(&spec.arenas)),
        ..Default::default()
    };
    let plan = fb::ExecutionPlan::create(&mut b, &plan);
    let execution_plan = Some(b.create_vector(&[plan]));
    let buffers: Vec<_> = std::iter::once(&Vec::new())
        .chain(&spec.constants)
        .map(|c| {
            let storage = Some(b.create_vector(c));
            fb::Buffer::create(&mut b, &fb::BufferArgs { storage })
        })
        .collect();
    let constant_buffer = Some(b.create_vector(&buffers));
    let blobs: Vec<_> = spec
        .delegate_blobs
        .iter()
        .map(|d| {
            let data = Some(b.create_vector(d));
            fb::BackendDelegateInlineData::create(
                &mut b,
                &fb::BackendDelegateInlineDataArgs { data },
            )
        })
        .collect();
    let backend_delegate_data = Some(b.create_vector(&blobs));
    let (layout, data) = lay_out(&spec.segments);
    let segments: Vec<_> = layout
        .iter()
        .map(|&(offset, size)| {
            fb::DataSegment::create(&mut b, &fb::DataSegmentArgs { offset, size })
        })
        .collect();
    let segments = Some(b.create_vector(&segments));
    let mutable: Vec<_> = spec
        .mutable
        .iter()
        .map(|(segment_index, offsets)| {
            let offsets = Some(b.create_vector(offsets));
            fb::SubsegmentOffsets::create(
                &mut b,
                &fb::SubsegmentOffsetsArgs {
                    segment_index: *segment_index,
                    offsets,
                },
            )
        })
        .collect();
    let mutable_data_segments = Some(b.create_vector(&mutable));
    let named: Vec<_> = spec
        .named
        .iter()
        .map(|(key, segment_index)| {
            let key = Some(b.create_string(key));
            fb::NamedData::create(
                &mut b,
                &fb::NamedDataArgs {
                    key,
                    segment_index: *segment_index,
                },
            )
        })
        .collect();
    let named_data = Some(b.create_vector(&named));
    let args = fb::ProgramArgs {
        execution_plan,
        constant_buffer,
        backend_delegate_data,
        segments,
        mutable_data_segments,
        named_data,
        ..Default::default()
    };
    let root = fb::Program::create(&mut b, &args);
    fb::finish_program_buffer(&mut b, root);
    let program = b.finished_data().to_vec();
    if spec.segments.is_empty() {
        program
    } else {
        with_header(&program, &data)
    }
}

/// Segment (offset, size) pairs, 16-aligned, and the bytes they occupy.
fn lay_out(segments: &[Vec<u8>]) -> (Vec<(u64, u64)>, Vec<u8>) {
    let mut data = Vec::new();
    let layout = segments
        .iter()
        .map(|s| {
            let at = data.len() as u64;
            data.extend_from_slice(s);
            data.resize(data.len().next_multiple_of(16), 0);
            (at, s.len() as u64)
        })
        .collect();
    (layout, data)
}

/// Inserts a 32-byte extended header after the identifier, as ExecuTorch
/// does, and appends the segment data. Offsets inside the flatbuffer are
/// relative, so only the root offset moves.
fn with_header(program: &[u8], segments: &[u8]) -> Vec<u8> {
    let root = u32::from_le_bytes(program[..4].try_into().unwrap()) + 32;
    let program_size = program.len() as u64 + 32;
    let base = program_size.next_multiple_of(16);
    let mut out = root.to_le_bytes().to_vec();
    out.extend_from_slice(&program[4..8]);
    out.extend_from_slice(b"eh00");
    out.extend_from_slice(&32u32.to_le_bytes());
    for field in [program_size, base, segments.len() as u64] {
        out.extend_from_slice(&field.to_le_bytes());
    }
    out.extend_from_slice(&program[8..]);
    out.resize(base as usize, 0);
    out.extend_from_slice(segments);
    out
}
