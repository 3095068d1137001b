//! Repeating background work (mail delivery, export jobs, booking jobs, housekeeping): a tick and
//! the check whether the server is stopping, written once.
use std::time::Duration;

use tokio::{
    sync::watch,
    time::{Instant, Interval, MissedTickBehavior},
};

/// Ticks every `period`, the first time after `first`. A run that takes longer than a period
/// delays the next one instead of making several follow at once.
pub fn every(period: Duration, first: Duration) -> Interval {
    let mut tick = tokio::time::interval_at(Instant::now() + first, period);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    tick
}

/// Waits for the next tick; false once the server is stopping. A run that has begun is finished,
/// none starts after the stop.
pub async fn next_run(tick: &mut Interval, stop: &mut watch::Receiver<bool>) -> bool {
    if *stop.borrow() {
        return false;
    }
    tokio::select! {
        _ = tick.tick() => !*stop.borrow(),
        _ = stop.changed() => false,
    }
}
