//! STS GetCallerIdentity, the one STS call tollgate makes (to record and check the account of
//! a saved plan): the SDK sends it to the same endpoint as a form-encoded POST to `/`.

use hyper::body::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Response, StatusCode};

use http_body_util::Full;

use crate::router::parse_query;
use crate::server::HttpResponse;

/// The account the emulator answers when none is configured.
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";

/// The operation name GetCallerIdentity is counted under.
pub const OPERATION: &str = "GetCallerIdentity";

/// Whether a request is STS's GetCallerIdentity: `POST /` with the form body
/// `Action=GetCallerIdentity&Version=2011-06-15` (in any order, other fields ignored).
pub fn is_get_caller_identity(method: &Method, path: &str, body: &[u8]) -> bool {
    if method != Method::POST || path != "/" {
        return false;
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return false;
    };
    parse_query(Some(text)).is_some_and(|form| {
        form.get("Action").map(Vec::as_slice) == Some(&[OPERATION.to_string()][..])
    })
}

/// STS's answer naming `account` as the caller's account: 200, `text/xml`.
pub fn caller_identity(account: &str, request_id: &str) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(identity_xml(account, request_id))));
    *response.status_mut() = StatusCode::OK;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    response
}

/// The XML body of GetCallerIdentity's answer.
fn identity_xml(account: &str, request_id: &str) -> String {
    format!(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
<GetCallerIdentityResult><Arn>arn:aws:iam::{account}:user/tollgate-sim</Arn>\
<UserId>AIDASIM</UserId><Account>{account}</Account></GetCallerIdentityResult>\
<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>\
</GetCallerIdentityResponse>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_form_post_to_the_root_with_the_action_is_get_caller_identity() {
        let body = b"Action=GetCallerIdentity&Version=2011-06-15";
        assert!(is_get_caller_identity(&Method::POST, "/", body));
        assert!(!is_get_caller_identity(&Method::GET, "/", body));
        assert!(!is_get_caller_identity(&Method::POST, "/usageplans", body));
        assert!(!is_get_caller_identity(
            &Method::POST,
            "/",
            b"Action=AssumeRole&Version=2011-06-15"
        ));
        assert!(!is_get_caller_identity(&Method::POST, "/", b"{}"));
    }

    #[test]
    fn the_answer_names_the_account_in_sts_xml() {
        let response = caller_identity("210987654321", "req-1");
        assert_eq!(response.headers()[CONTENT_TYPE], "text/xml");
        let text = identity_xml("210987654321", "req-1");
        assert!(text.contains("<Account>210987654321</Account>"), "{text}");
        assert!(text.contains("arn:aws:iam::210987654321:user/tollgate-sim"));
        assert!(text.contains("<RequestId>req-1</RequestId>"));
    }
}
