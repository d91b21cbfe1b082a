//! Keyframes: copies of a fold every `every` events, so that the state at any position of a log is
//! a copy of the nearest keyframe before it plus at most `every - 1` events.

use crate::envelope::Event;
use crate::projection::Projection;

/// The states of a fold at positions `0, every, 2 * every, ...` of one log.
#[derive(Debug, Clone, PartialEq)]
pub struct Keyframes<P> {
    every: usize,
    /// `frames[i]` is the state after the first `i * every` events.
    frames: Vec<P>,
    /// The fold after every event covered, from which later keyframes are made.
    running: P,
    covered: usize,
}

impl<P: Clone + Default> Keyframes<P> {
    /// Keyframes every `every` events (at least 1) of `events`.
    pub fn build<E>(events: &[Event<E>], every: usize) -> Self
    where
        P: Projection<E>,
    {
        let mut keyframes =
            Keyframes { every: every.max(1), frames: vec![P::default()], running: P::default(), covered: 0 };
        keyframes.extend(events);
        keyframes
    }

    /// Events between two keyframes.
    pub fn every(&self) -> usize {
        self.every
    }

    /// Number of keyframes kept.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Always false: the empty log has its keyframe.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// How many events of the log the keyframes have seen.
    pub fn covered(&self) -> usize {
        self.covered
    }

    /// Takes the events of `log` after those already covered (the log grew).
    pub fn extend<E>(&mut self, log: &[Event<E>])
    where
        P: Projection<E>,
    {
        self.extend_by(log, |running, run| running.apply_all(run));
    }

    /// [`Keyframes::extend`], with each run of events between two keyframes folded by `fold`,
    /// which folds it as [`Projection::apply_all`] does and may note what each event did: every
    /// event after those covered goes through it once, in order.
    pub fn extend_by<E>(&mut self, log: &[Event<E>], mut fold: impl FnMut(&mut P, &[Event<E>])) {
        while self.covered < log.len() {
            // Up to the next keyframe, in one run.
            let next = ((self.covered / self.every + 1) * self.every).min(log.len());
            fold(&mut self.running, &log[self.covered..next]);
            self.covered = next;
            if self.covered.is_multiple_of(self.every) {
                self.frames.push(self.running.clone());
            }
        }
    }

    /// Forgets everything after the first `position` events: the log changed from there (a
    /// rebase placed other events before pending ones). [`Keyframes::extend`] then takes the new
    /// events.
    pub fn truncate<E>(&mut self, log: &[Event<E>], position: usize)
    where
        P: Projection<E>,
    {
        if position >= self.covered {
            return;
        }
        self.frames.truncate(position / self.every + 1);
        self.running = self.at(log, position);
        self.covered = position;
    }

    /// The state after the first `position` events of `log` (at most all of them): the nearest
    /// keyframe at or before it, plus the events in between.
    pub fn at<E>(&self, log: &[Event<E>], position: usize) -> P
    where
        P: Projection<E>,
    {
        let position = position.min(log.len());
        if position == self.covered {
            return self.running.clone();
        }
        let frame = (position / self.every).min(self.frames.len() - 1);
        let mut state = self.frames[frame].clone();
        state.apply_all(&log[frame * self.every..position]);
        state
    }
}
