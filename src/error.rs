//! The one error type of the engine. Each kind maps to one fixed C status
//! (`auraguard_status`), so a wrapper in any language can tell a rejected
//! configuration from a misused call without reading the message.

use std::fmt;

/// What went wrong, as a stable category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A value passed in is malformed or out of range (bad JSON, bad UTF-8,
    /// an unknown `call_id`, an input over the size limit).
    InvalidArgument,
    /// The configuration was rejected; the message names the key.
    Config,
    /// Strict mode: `check_tool`/`record_result` called out of order.
    Misuse,
    /// A saved state was rejected (unreadable, unknown version, bad MAC).
    State,
    /// A bug inside the engine (a caught panic, a poisoned guard).
    Internal,
    /// The idempotency ledger's store did not answer (server down, disk
    /// full, timeout).
    Ledger,
}

impl ErrorKind {
    /// The status code of the C API; these numbers never change.
    pub fn status_code(self) -> i32 {
        match self {
            ErrorKind::InvalidArgument => 1,
            ErrorKind::Config => 2,
            ErrorKind::Misuse => 3,
            ErrorKind::State => 4,
            ErrorKind::Internal => 5,
            ErrorKind::Ledger => 6,
        }
    }
}

/// An error with its category and a message that says what was wrong.
/// Messages never contain the secret key, raw arguments or payloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into() }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }
    pub fn misuse(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Misuse, message)
    }
    pub fn state(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::State, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
    pub fn ledger(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Ledger, message)
    }
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
