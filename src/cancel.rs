//! How a cancelled task says so: cancellation in Rust is the absence of
//! polling, so the only place to see it is the drop. A [`CancelNotice`]
//! reports a task dropped unfinished; [`Unmade`] reports the tasks a
//! group never got to make.

use crate::event::{EventKind, Phase};
use crate::run::Run;

/// Reports a chunk's task dropped before it finished (`chunk-cancelled`),
/// unless disarmed: made before the task's future is first polled, so a
/// task cancelled before it started is reported too.
pub(crate) struct CancelNotice<'r, 'a> {
    run: &'r Run<'a>,
    chunk: usize,
    phase: Phase,
    waiting: bool,
    started: bool,
    armed: bool,
}

impl<'r, 'a> CancelNotice<'r, 'a> {
    /// An armed notice for `chunk`'s task, which starts in `phase`.
    pub(crate) fn new(run: &'r Run<'a>, chunk: usize, phase: Phase) -> Self {
        CancelNotice { run, chunk, phase, waiting: false, started: false, armed: true }
    }

    /// The task was polled: it is no longer "cancelled before it started".
    pub(crate) fn start(&mut self) {
        self.started = true;
    }

    /// The chunk is now in `phase`, or `waiting` at the barrier after it.
    pub(crate) fn at(&mut self, phase: Phase, waiting: bool) {
        (self.phase, self.waiting) = (phase, waiting);
    }

    /// The task ended on its own (done, failed or dropped out): nothing to report.
    pub(crate) fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for CancelNotice<'_, '_> {
    fn drop(&mut self) {
        if self.armed {
            let (chunk, phase, waiting, started) = (self.chunk, self.phase, self.waiting, self.started);
            self.run.emit(EventKind::ChunkCancelled { chunk, phase, waiting, started });
        }
    }
}

/// The chunks whose tasks are not made yet, in order, each to run `phase`.
/// Dropped before the last is taken (a sibling failed, the run was
/// stopped), it reports each one left as cancelled before it started, as a
/// made task's notice would.
pub(crate) struct Unmade<'r, 'a, I: Iterator<Item = usize>> {
    chunks: I,
    phase: Phase,
    run: &'r Run<'a>,
}

impl<'r, 'a, I: Iterator<Item = usize>> Unmade<'r, 'a, I> {
    /// `chunks`' tasks, to be made in order, each starting in `phase`.
    pub(crate) fn new(run: &'r Run<'a>, chunks: I, phase: Phase) -> Self {
        Unmade { chunks, phase, run }
    }
}

impl<I: Iterator<Item = usize>> Iterator for Unmade<'_, '_, I> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        self.chunks.next()
    }
}

impl<I: Iterator<Item = usize>> Drop for Unmade<'_, '_, I> {
    fn drop(&mut self) {
        let (phase, waiting, started) = (self.phase, false, false);
        for chunk in self.chunks.by_ref() {
            self.run.emit(EventKind::ChunkCancelled { chunk, phase, waiting, started });
        }
    }
}
