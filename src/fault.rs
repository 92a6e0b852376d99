//! Faults as data: which chunk misbehaves, in which phase, and how.
//!
//! A run's [`RunConfig::faults`](crate::RunConfig::faults) are injected at
//! one place in the pipeline (the phase a chunk runs), so a test, the page
//! and the JS API all reach the same code path a real failure takes.

use std::fmt;

use crate::event::Phase;

/// How an injected fault misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// The phase does its work, then fails with an error.
    Error,
    /// The phase never finishes: only a timeout or Stop ends it.
    Hang,
}

impl FaultKind {
    /// Every kind, in the order the JS option lists them.
    pub const ALL: [FaultKind; 2] = [FaultKind::Error, FaultKind::Hang];

    /// The name the JS option takes: `error` or `hang`.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Error => "error",
            FaultKind::Hang => "hang",
        }
    }

    /// The kind named `name`, if there is one.
    pub fn from_name(name: &str) -> Option<FaultKind> {
        FaultKind::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// One injected fault: chunk `chunk` misbehaves (`kind`) in `phase`.
///
/// ```
/// use rag_phase_sync::{Fault, FaultKind, Phase};
/// let fault = Fault::error(4, Phase::Embed);
/// assert_eq!((fault.chunk, fault.kind), (4, FaultKind::Error));
/// assert_eq!(fault.to_string(), "chunk-4 error in Phase 1 (embed)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fault {
    /// The chunk's index.
    pub chunk: usize,
    /// [`Phase::Embed`] or [`Phase::Score`] (Phase 3 runs once, not per chunk).
    pub phase: Phase,
    /// How it misbehaves.
    pub kind: FaultKind,
}

impl Fault {
    /// Chunk `chunk` fails with an error at the end of `phase`.
    pub fn error(chunk: usize, phase: Phase) -> Fault {
        Fault { chunk, phase, kind: FaultKind::Error }
    }

    /// Chunk `chunk` never finishes `phase`.
    pub fn hang(chunk: usize, phase: Phase) -> Fault {
        Fault { chunk, phase, kind: FaultKind::Hang }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (number, name) = (self.phase.number(), self.phase.name());
        write!(f, "chunk-{} {} in Phase {number} ({name})", self.chunk, self.kind.name())
    }
}

/// The faults of one run, looked up per chunk and phase in O(1).
#[derive(Debug, Clone, Default)]
pub(crate) struct FaultPlan {
    /// `(chunk, phase)` to the first fault given for it.
    by_chunk: std::collections::HashMap<(usize, Phase), FaultKind>,
}

impl FaultPlan {
    /// The plan for `faults`; where two name the same chunk and phase, the first wins.
    pub(crate) fn new(faults: &[Fault]) -> FaultPlan {
        let mut by_chunk = std::collections::HashMap::with_capacity(faults.len());
        for fault in faults {
            by_chunk.entry((fault.chunk, fault.phase)).or_insert(fault.kind);
        }
        FaultPlan { by_chunk }
    }

    /// The fault chunk `chunk` meets in `phase`, if any.
    pub(crate) fn get(&self, chunk: usize, phase: Phase) -> Option<FaultKind> {
        if self.by_chunk.is_empty() {
            return None;
        }
        self.by_chunk.get(&(chunk, phase)).copied()
    }
}
