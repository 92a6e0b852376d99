//! Which barrier a run synchronises its chunks with, behind one interface.

use std::fmt;

use crate::barrier::{Arrival, BarrierError, BarrierSignal, PhaseBarrier};
use crate::classic_barrier::ClassicBarrier;

/// The barrier a run uses: ours by default, or the deprecated crate's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BarrierKind {
    /// [`PhaseBarrier`]: cancel-safe and breakable.
    #[default]
    Phase,
    /// `async-barrier` ([`ClassicBarrier`]): neither, kept to show why.
    Classic,
}

impl BarrierKind {
    /// Every kind, in the order the JS option lists them.
    pub const ALL: [BarrierKind; 2] = [BarrierKind::Phase, BarrierKind::Classic];

    /// The name the JS option `barrier` takes: `phase` or `classic`.
    pub fn name(self) -> &'static str {
        match self {
            BarrierKind::Phase => "phase",
            BarrierKind::Classic => "classic",
        }
    }

    /// The kind named `name`, if there is one.
    ///
    /// ```
    /// use rag_phase_sync::BarrierKind;
    /// assert_eq!(BarrierKind::from_name("classic"), Some(BarrierKind::Classic));
    /// assert_eq!(BarrierKind::from_name("tokio"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<BarrierKind> {
        BarrierKind::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

impl fmt::Display for BarrierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A barrier of either kind, as the pipeline's chunks see it.
pub enum ChosenBarrier<'o> {
    /// Ours.
    Phase(PhaseBarrier<'o>),
    /// The deprecated crate's.
    Classic(ClassicBarrier<'o>),
}

impl<'o> ChosenBarrier<'o> {
    /// A barrier of `kind` for `parties` (at least 1), reporting to `observer`.
    pub fn new(
        kind: BarrierKind,
        parties: usize,
        observer: impl Fn(&BarrierSignal) + 'o,
    ) -> Result<Self, BarrierError> {
        Ok(match kind {
            BarrierKind::Phase => ChosenBarrier::Phase(PhaseBarrier::new(parties)?.with_observer(observer)),
            BarrierKind::Classic => {
                ChosenBarrier::Classic(ClassicBarrier::new(parties).with_observer(observer))
            }
        })
    }

    /// Waits for every party, as `party`.
    pub async fn wait_as(&self, party: usize) -> Result<Arrival, BarrierError> {
        match self {
            ChosenBarrier::Phase(barrier) => barrier.wait_as(party).await,
            // Boxed: the classic wait is several times the size of ours, and
            // inline it would set the size of every chunk future of every
            // run (all 100,000 alive at once), whichever barrier it uses.
            ChosenBarrier::Classic(barrier) => Ok(Box::pin(barrier.wait_as(party)).await),
        }
    }

    /// Breaks the barrier so no party waits for one that will never come.
    /// The classic barrier cannot be broken: there, only dropping the waiting
    /// futures (the structured group's cancellation) frees them.
    pub fn abort(&self, reason: impl Into<String>) {
        if let ChosenBarrier::Phase(barrier) = self {
            barrier.abort(reason);
        }
    }
}
