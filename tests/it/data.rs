//! Data that lasts: what a running bot keeps in memory, and how little it writes.

use attune::core::circle::plus;
use attune::core::input::{Input, TimerKey};

use crate::support::*;

/// Fires the daily purge at `h.now` and returns the circles it marked for the store.
fn purge(h: &mut Harness) -> Vec<attune::core::ids::CircleId> {
    let input = Input::TimerFired { key: TimerKey::Purge, generation: 0 };
    let _ = attune::core::handle(&mut h.state, input, h.now, &mut h.rng);
    h.state.take_dirty().circles.into_iter().collect()
}

#[test]
fn a_running_bot_lets_go_of_old_ended_circles_as_a_restarted_one_would() {
    let mut h = Harness::new();
    h.cmd("mod", "circle open");
    h.cmd("mod", "circle end");
    let id = *h.state.circles.keys().next().expect("a circle was opened");
    h.now = plus(h.now, 86_400);
    assert!(purge(&mut h).is_empty());
    assert!(h.state.circles.contains_key(&id), "a circle that ended a day ago stays in memory for its pulse");
    h.now = plus(h.now, 2 * 86_400);
    assert!(purge(&mut h).is_empty(), "letting go of a circle in memory never deletes it from the store");
    assert!(!h.state.circles.contains_key(&id), "one that ended three days ago is not kept, just as a restart wouldn't load it");
    let status = h.cmd("mod", "circle status");
    assert!(
        status.iter().any(|e| format!("{e:?}").contains("NoCircleHere") || format!("{e:?}").contains("no-circle")),
        "status answers as it would after a restart: {status:?}"
    );
}
