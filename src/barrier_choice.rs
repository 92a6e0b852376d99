//! Which barrier a run synchronises its chunks with, behind one interface.

use crate::barrier::{Arrival, BarrierError, BarrierSignal, PhaseBarrier};
use crate::classic_barrier::ClassicBarrier;
use crate::config::BarrierKind;

/// A barrier of either kind, as the pipeline's chunks see it.
#[derive(Debug)]
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

    /// How many parties each generation waits for.
    pub fn parties(&self) -> usize {
        match self {
            ChosenBarrier::Phase(barrier) => barrier.parties(),
            ChosenBarrier::Classic(barrier) => barrier.parties(),
        }
    }

    /// How many generations have been released.
    pub fn generation(&self) -> u64 {
        match self {
            ChosenBarrier::Phase(barrier) => barrier.generation(),
            ChosenBarrier::Classic(barrier) => barrier.generation(),
        }
    }

    /// Whether a party can leave for good: only `PhaseBarrier` can lower its parties.
    pub fn can_drop_out(&self) -> bool {
        matches!(self, ChosenBarrier::Phase(_))
    }

    /// One party leaves for good (see [`PhaseBarrier::arrive_and_drop`]);
    /// the parties that remain. The classic barrier cannot lower its parties
    /// (the config rejects drop-out with it), so there it is an error.
    pub fn arrive_and_drop(&self) -> Result<usize, BarrierError> {
        match self {
            ChosenBarrier::Phase(barrier) => barrier.arrive_and_drop().map(|()| barrier.parties()),
            ChosenBarrier::Classic(_) => {
                Err(BarrierError::Broken("async-barrier cannot lower its parties".to_string()))
            }
        }
    }
}
