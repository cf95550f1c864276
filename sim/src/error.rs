//! The one error type of the emulator: an AWS error name, its HTTP status and a message.

use hyper::StatusCode;

/// The kinds of error the emulator answers with, named as AWS names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400: the request is invalid.
    BadRequest,
    /// 403: the request carries no SigV4 signature.
    MissingAuthenticationToken,
    /// 403: the caller lacks the permission.
    AccessDenied,
    /// 404: the resource does not exist.
    NotFound,
    /// 409: the request conflicts with the current state.
    Conflict,
    /// 429: a limit of resources was reached (AWS also uses it for those).
    LimitExceeded,
    /// 429: an account quota of the management API was exceeded.
    TooManyRequests,
    /// 500: an injected internal failure.
    Internal,
    /// 503: an injected unavailability.
    ServiceUnavailable,
}

impl ErrorKind {
    /// The name AWS puts in the `x-amzn-ErrorType` header.
    pub fn name(self) -> &'static str {
        match self {
            Self::BadRequest => "BadRequestException",
            Self::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Self::AccessDenied => "AccessDeniedException",
            Self::NotFound => "NotFoundException",
            Self::Conflict => "ConflictException",
            Self::LimitExceeded => "LimitExceededException",
            Self::TooManyRequests => "TooManyRequestsException",
            Self::Internal => "InternalFailure",
            Self::ServiceUnavailable => "ServiceUnavailableException",
        }
    }

    /// The HTTP status AWS answers this error with.
    pub fn status(self) -> StatusCode {
        match self {
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::MissingAuthenticationToken | Self::AccessDenied => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict => StatusCode::CONFLICT,
            Self::LimitExceeded | Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// An error as the emulator reports it, over HTTP and through the library API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", kind.name())]
pub struct SimError {
    /// Which error it is.
    pub kind: ErrorKind,
    /// The message, in AWS's style.
    pub message: String,
}

impl SimError {
    /// A 400 BadRequestException.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, message)
    }

    /// A 404 NotFoundException.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// A 409 ConflictException.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    /// A 400 in the words of AWS's validation errors: `1 validation error detected: Value
    /// '{value}' at '{at}' failed to satisfy constraint: {constraint}`.
    pub fn validation(value: impl std::fmt::Display, at: &str, constraint: &str) -> Self {
        Self::bad_request(format!(
            "1 validation error detected: Value '{value}' at '{at}' failed to satisfy constraint: {constraint}"
        ))
    }

    /// An error of any kind.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}
