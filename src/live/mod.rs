//! The AWS edge: the API Gateway client, paginated reads, writes and error mapping.

mod client;
mod convert;
mod error;
mod retry;

pub use client::{Connection, LiveClient};
pub use error::{AwsError, AwsErrorKind};
