//! The AWS edge: the API Gateway client, paginated reads, writes, pacing, retries and error
//! mapping.

mod body_limit;
mod client;
mod convert;
mod endpoints;
mod error;
mod pace;
mod references;
mod retry;
mod server_date;
mod settings;
mod stop;

pub use client::{
    creation_token, resource_arn, Connection, LiveClient, Tagged, CONNECT_TIMEOUT, READ_TIMEOUT,
};
pub use endpoints::allow_list;
pub use error::{AwsError, AwsErrorKind};
pub use pace::{Pace, Pacer, Reserved};
pub use settings::is_region_name;
pub use stop::Stop;
