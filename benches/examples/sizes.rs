//! Prints the sizes of core's state and output types (bytes), for the performance notes.
use loadpilot_core::{NodeState, PointOutput, PointState, StationState};
use std::mem::size_of;

fn main() {
    println!("PointState  {} bytes", size_of::<PointState>());
    println!("NodeState   {} bytes", size_of::<NodeState>());
    println!("StationState {} bytes", size_of::<StationState>());
    println!("PointOutput {} bytes", size_of::<PointOutput>());
}
