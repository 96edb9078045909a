//! The engine's clock: the system clock, or a manual one for scripts and tests.

use std::sync::{Arc, Mutex};

use jiff::Timestamp;

#[derive(Clone, Debug)]
pub enum Clock {
    System,
    Manual(Arc<Mutex<Timestamp>>),
}

impl Clock {
    pub fn manual(start: Timestamp) -> Self {
        Clock::Manual(Arc::new(Mutex::new(start)))
    }

    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Manual(t) => t.lock().map(|t| *t).unwrap_or_else(|e| *e.into_inner()),
        }
    }

    /// Sets a manual clock; does nothing to the system clock.
    pub fn set(&self, at: Timestamp) {
        if let Clock::Manual(t) = self {
            match t.lock() {
                Ok(mut g) => *g = at,
                Err(e) => *e.into_inner() = at,
            }
        }
    }

    pub fn is_system(&self) -> bool {
        matches!(self, Clock::System)
    }
}
