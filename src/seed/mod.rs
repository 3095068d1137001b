//! Data that is written rather than used: the demo content of the one-command start
//! (`content/demo/*.csv`) and the generated bulk data of the benchmarks.
pub mod bulk_data;
pub mod bulk_proposals;
pub mod demo;
mod demo_courses;
mod demo_shifts;
