//! How `attune` ends, as exit codes a service manager can act on. Documented in
//! README ("Exit codes") and used by `contrib/attune.service`.
//!
//! | code | meaning | restart? |
//! |---|---|---|
//! | 0 | stopped on SIGINT or SIGTERM, or a command finished | no |
//! | 1 | any other error (said in one line) | yes |
//! | 2 | the command line was not understood | no |
//! | 75 | a platform went away in a way a fresh start may mend | yes |
//! | 78 | only the operator can fix this: the configuration, a token, a setting in the platform's portal | no |

/// Why attune ended, beyond success.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 1: an error nothing more specific describes.
    Failure,
    /// 75 (`EX_TEMPFAIL`): a platform went away; a fresh start may mend it
    /// (a lost connection that never came back, a shard count Discord changed).
    Restart,
    /// 78 (`EX_CONFIG`): the configuration, a token or a platform setting needs
    /// the operator; restarting alone would fail the same way.
    NeedsOperator,
}

impl Exit {
    /// The process exit code.
    pub const fn code(self) -> u8 {
        match self {
            Self::Failure => 1,
            Self::Restart => 75,
            Self::NeedsOperator => 78,
        }
    }
}
