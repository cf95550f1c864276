//! The day as AWS counts it: the `Date` header of its answers, kept by an interceptor on the
//! client, so that usage periods (UTC days) follow AWS's clock rather than this machine's.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::date_time::{DateTime, Format};
use time::{Date, OffsetDateTime};

/// No answer has been dated yet.
const UNSEEN: i64 = i64::MIN;

/// The time of the latest answer that carried a `Date` header, shared by the clients of a run.
#[derive(Debug, Clone)]
pub struct ServerDate(Arc<AtomicI64>);

impl Default for ServerDate {
    fn default() -> Self {
        ServerDate(Arc::new(AtomicI64::new(UNSEEN)))
    }
}

impl ServerDate {
    /// Today (UTC) as the latest dated answer says, or as this machine's clock says when no
    /// answer carried a date.
    pub fn today(&self) -> Date {
        self.time().date()
    }

    /// Now (Unix seconds) as the latest dated answer says, or as this machine's clock says
    /// when no answer carried a date.
    pub fn now(&self) -> i64 {
        self.time().unix_timestamp()
    }

    fn time(&self) -> OffsetDateTime {
        let seen = self.0.load(Ordering::Relaxed);
        if seen == UNSEEN {
            OffsetDateTime::now_utc()
        } else {
            OffsetDateTime::from_unix_timestamp(seen).unwrap_or_else(|_| OffsetDateTime::now_utc())
        }
    }
}

impl Intercept for ServerDate {
    fn name(&self) -> &'static str {
        "ServerDate"
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let date = context.response().headers().get("date");
        if let Some(date) = date.and_then(|text| DateTime::from_str(text, Format::HttpDate).ok()) {
            self.0.store(date.secs(), Ordering::Relaxed);
        }
        Ok(())
    }
}
