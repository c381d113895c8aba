//! Windows and resampling over NCHW planes: pooling, resizing, grid sampling.

pub mod grid_sample;
pub mod resize;
pub mod window;
