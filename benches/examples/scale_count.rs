//! Instruction counting at scale: `scale_count POINTS STEPS` runs a steady station of POINTS
//! points (mixed 1-ph/3-ph, rotated phases) behind a depth-3 tree (supply → 4 circuits →
//! stations of 8 points) for STEPS steps of 10 ms, for `valgrind --tool=callgrind`.
use loadpilot_core::{
    Config, Inputs, NodeConfig, NodeInputs, NodeKind, NodeState, Outputs, Phase, PointConfig,
    PointInputs, PointOutput, PointState, ProductFamily, RawConfig, State, StationOutput,
    StationState, VehicleState, step,
};
use std::hint::black_box;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let steps: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let stations = n.div_ceil(8);
    let mut nodes = vec![NodeConfig::new(None, NodeKind::Supply, 10_000_000)];
    for _ in 0..4 {
        nodes.push(NodeConfig::new(Some(0), NodeKind::Circuit, 1_000_000));
    }
    for s in 0..stations {
        nodes.push(NodeConfig::station(Some(1 + (s % 4) as u16), 64_000));
    }
    let mut points = Vec::new();
    for i in 0..n {
        let node = (5 + i / 8) as u16;
        points.push(if i % 3 == 0 {
            PointConfig::single_phase(node, 32_000, Phase::from_index(i))
        } else {
            PointConfig::three_phase(node, 32_000)
        });
    }
    let mut raw = RawConfig::with_defaults(ProductFamily::City, points, nodes);
    raw.timers.stagger_ms = 0;
    let cfg = Config::new(raw).expect("valid config");
    let view = cfg.view();
    let mut st = StationState::new();
    let mut ps = vec![PointState::new(); n];
    let mut ns = vec![NodeState::new(); cfg.nodes().len()];
    let mut out = vec![PointOutput::default(); n];
    let mut sout = StationOutput::default();
    let mut pin = vec![
        PointInputs {
            vehicle: VehicleState::C,
            authorised: true,
            ..PointInputs::default()
        };
        n
    ];
    let nin = vec![NodeInputs::default(); cfg.nodes().len()];
    let mut now = 0u64;
    for _ in 0..steps {
        now += 10;
        for (p, o) in pin.iter_mut().zip(&out) {
            p.measured_ma = Some(o.alloc_ma);
        }
        let inputs = Inputs {
            station: Default::default(),
            points: &pin,
            nodes: &nin,
        };
        let state = State {
            station: &mut st,
            points: &mut ps,
            nodes: &mut ns,
        };
        let outputs = Outputs {
            station: &mut sout,
            points: &mut out,
        };
        step(&view, state, black_box(&inputs), now, outputs).expect("lengths match");
    }
    println!(
        "{}",
        out.iter().map(|o| u64::from(o.allocation_ma)).sum::<u64>()
    );
}
