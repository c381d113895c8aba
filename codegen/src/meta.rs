//! Metadata methods: a method with no inputs and no instructions that returns
//! constants (`get_max_seq_len`, `use_kv_cache`, as ExecuTorch's llama export
//! writes them). Runners call them, so each becomes a `const` and a method.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::pte::{EValue, Plan};

#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    pub name: String,
    pub value: MetaValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    Int(i64),
    Bool(bool),
    Double(f64),
    Ints(Vec<i64>),
}

/// The constant a plan returns, when it is a metadata method.
pub fn from_plan(plan: &Plan) -> Option<Meta> {
    let computes = plan.chains.iter().any(|c| !c.instructions.is_empty());
    let [out] = plan.outputs[..] else { return None };
    if computes || !plan.inputs.is_empty() {
        return None;
    }
    let value = match plan.values.get(out)? {
        EValue::Int(v) => MetaValue::Int(*v),
        EValue::Bool(v) => MetaValue::Bool(*v),
        EValue::Double(v) => MetaValue::Double(*v),
        // List items are indices of Int values.
        EValue::IntList(items) => MetaValue::Ints(
            items
                .iter()
                .map(|&i| match usize::try_from(i).ok().and_then(|i| plan.values.get(i)) {
                    Some(EValue::Int(v)) => Some(*v),
                    _ => None,
                })
                .collect::<Option<_>>()?,
        ),
        _ => return None,
    };
    Some(Meta { name: plan.name.clone(), value })
}

impl Meta {
    /// The `const`'s name: the method's Rust name in upper case.
    pub fn const_ident(&self) -> proc_macro2::Ident {
        let name = crate::ident::method(&self.name).to_string().to_uppercase();
        // Not the crate's own constants.
        match name.as_str() {
            "ARENA_BYTES" | "WEIGHT_BYTES" => format_ident!("{name}_"),
            _ => format_ident!("{name}"),
        }
    }

    fn ty_and_value(&self) -> (TokenStream, TokenStream) {
        match &self.value {
            MetaValue::Int(v) => (quote!(i64), quote!(#v)),
            MetaValue::Bool(v) => (quote!(bool), quote!(#v)),
            MetaValue::Double(v) => (quote!(f64), quote!(#v)),
            MetaValue::Ints(v) => {
                let n = super::emit::lit(v.len());
                (quote!([i64; #n]), quote!([#(#v),*]))
            }
        }
    }

    /// `pub const NAME: T = v;`, at the top of the module.
    pub fn item(&self) -> TokenStream {
        let (c, (ty, v)) = (self.const_ident(), self.ty_and_value());
        let doc = format!(" The program's `{}` method: a constant.", self.name);
        quote!(#[doc = #doc] pub const #c: #ty = #v;)
    }

    /// `pub fn name(&self) -> T`, inside `impl Model`.
    pub fn method(&self) -> TokenStream {
        let (c, f, (ty, _)) = (self.const_ident(), crate::ident::method(&self.name), self.ty_and_value());
        let doc = format!(" Runs the `{}` method of the program: [`{c}`].", self.name);
        quote!(#[doc = #doc] pub fn #f(&self) -> #ty { #c })
    }
}
