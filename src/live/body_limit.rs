//! The cap on the size of one answer: an interceptor wraps every response body before the SDK
//! reads it whole, and the wrapper fails once more than [`MAX_ANSWER_BYTES`] arrive (at once
//! when the `Content-Length` already says so), so a broken or hostile endpoint cannot make
//! tollgate buffer an answer of any size.

use std::pin::Pin;
use std::task::{Context, Poll};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextMut;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// The largest answer tollgate reads: 64 MiB. AWS's largest, a page of 500 usage plans or API
/// keys, is a few megabytes at most.
pub const MAX_ANSWER_BYTES: u64 = 64 * 1024 * 1024;

/// An answer longer than [`MAX_ANSWER_BYTES`]: what reading it stopped with.
#[derive(Debug, thiserror::Error)]
#[error(
    "the answer is longer than {} MiB, far more than AWS ever sends; it was not read further",
    MAX_ANSWER_BYTES / (1024 * 1024)
)]
pub struct AnswerTooLarge;

/// The interceptor that puts every answer's body under [`MAX_ANSWER_BYTES`].
#[derive(Debug, Clone, Copy, Default)]
pub struct BodyLimit;

impl Intercept for BodyLimit {
    fn name(&self) -> &'static str {
        "BodyLimit"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response_mut();
        let inner = response.take_body();
        *response.body_mut() = SdkBody::from_body_1_x(Limited {
            inner,
            read: 0,
            limit: MAX_ANSWER_BYTES,
        });
        Ok(())
    }
}

/// A body that fails once more than `limit` bytes have come through it.
struct Limited {
    inner: SdkBody,
    read: u64,
    limit: u64,
}

impl Body for Limited {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        // A declared length over the cap fails before a byte of it is read.
        if self.read.saturating_add(self.inner.size_hint().lower()) > self.limit {
            return Poll::Ready(Some(Err(AnswerTooLarge.into())));
        }
        let frame = match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => frame,
            other => return other,
        };
        if let Some(data) = frame.data_ref() {
            let length = u64::try_from(data.len()).unwrap_or(u64::MAX);
            self.read = self.read.saturating_add(length);
            if self.read > self.limit {
                return Poll::Ready(Some(Err(AnswerTooLarge.into())));
            }
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn limited(body: SdkBody, limit: u64) -> Limited {
        Limited {
            inner: body,
            read: 0,
            limit,
        }
    }

    #[tokio::test]
    async fn a_body_within_the_limit_is_read_whole() {
        let body = limited(SdkBody::from("0123456789"), 10);
        let bytes = body.collect().await.expect("read").to_bytes();
        assert_eq!(&bytes[..], b"0123456789");
    }

    #[tokio::test]
    async fn a_declared_length_past_the_limit_fails_before_reading() {
        let body = limited(SdkBody::from("0123456789"), 9);
        let error = body.collect().await.expect_err("too long");
        assert!(error.downcast_ref::<AnswerTooLarge>().is_some(), "{error}");
        assert!(error.to_string().contains("64 MiB"), "{error}");
    }

    #[tokio::test]
    async fn a_stream_of_unknown_length_fails_once_past_the_limit() {
        let chunks = ["01234", "56789", "never read"].map(|chunk| {
            Ok::<_, std::convert::Infallible>(Frame::data(Bytes::from_static(chunk.as_bytes())))
        });
        let stream = http_body_util::StreamBody::new(futures_util::stream::iter(chunks));
        let mut body = limited(SdkBody::from_body_1_x(stream), 9);
        let first = body.frame().await.expect("a frame").expect("within");
        assert_eq!(first.data_ref().map(|data| &data[..]), Some(&b"01234"[..]));
        let error = body.frame().await.expect("a frame").expect_err("past");
        assert!(error.downcast_ref::<AnswerTooLarge>().is_some(), "{error}");
    }
}
