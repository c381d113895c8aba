//! Normalisations: batch and layer norm, group norm, softmax.

pub mod batch_layer;
pub mod group;
pub mod softmax;
