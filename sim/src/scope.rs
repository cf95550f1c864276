//! Which account and region a request is for: the account its access key belongs to (the
//! emulator's own unless the seed gives the key to another) and the region its signature
//! names.

use hyper::header::AUTHORIZATION;

use crate::router::parse_query;

/// An account in a region: what one set of REST APIs, keys and plans belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    /// The account id, 12 digits.
    pub account: String,
    /// The region, as the signature names it.
    pub region: String,
}

impl Scope {
    /// A number that differs between scopes, to start each one's id generator apart (FNV-1a).
    pub fn id_seed(&self) -> u64 {
        let bytes = self
            .account
            .bytes()
            .chain([b'/'])
            .chain(self.region.bytes());
        bytes.fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
    }
}

/// Whether `text` is an AWS account id: 12 digits.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// The access key id and the region of a SigV4 signature's credential scope
/// (`AKID/DATE/REGION/SERVICE/aws4_request`), from the Authorization header or a presigned
/// URL's `X-Amz-Credential`.
pub fn credential(parts: &hyper::http::request::Parts) -> Option<(String, String)> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once("Credential="))
        .map(|(_, rest)| rest.split(',').next().unwrap_or(rest).trim().to_owned());
    let scope = header.or_else(|| {
        let query = parse_query(parts.uri.query())?;
        query.get("X-Amz-Credential")?.first().cloned()
    })?;
    let mut fields = scope.split('/');
    let access_key = fields.next()?.to_owned();
    let region = fields.nth(1)?.to_owned();
    (!access_key.is_empty() && !region.is_empty()).then_some((access_key, region))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(authorization: Option<&str>, uri: &str) -> hyper::http::request::Parts {
        let mut builder = hyper::Request::builder().uri(uri);
        if let Some(value) = authorization {
            builder = builder.header(AUTHORIZATION, value);
        }
        builder.body(()).expect("a request").into_parts().0
    }

    #[test]
    fn the_credential_names_the_access_key_and_the_region() {
        let signed = parts(
            Some("AWS4-HMAC-SHA256 Credential=AKIAOTHER/20261202/eu-west-1/apigateway/aws4_request, SignedHeaders=host, Signature=abc"),
            "/usageplans",
        );
        assert_eq!(
            credential(&signed),
            Some(("AKIAOTHER".to_owned(), "eu-west-1".to_owned()))
        );
        let presigned = parts(
            None,
            "/?X-Amz-Credential=AKIAQ%2F20261202%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Signature=x",
        );
        assert_eq!(
            credential(&presigned),
            Some(("AKIAQ".to_owned(), "us-west-2".to_owned()))
        );
        assert_eq!(credential(&parts(None, "/usageplans")), None);
    }

    #[test]
    fn scopes_start_their_ids_apart() {
        let scope = |account: &str, region: &str| Scope {
            account: account.to_owned(),
            region: region.to_owned(),
        };
        let seeds = [
            scope("123456789012", "us-east-1").id_seed(),
            scope("123456789012", "eu-west-1").id_seed(),
            scope("210987654321", "us-east-1").id_seed(),
        ];
        assert!(seeds[0] != seeds[1] && seeds[1] != seeds[2] && seeds[0] != seeds[2]);
        assert!(is_account_id("210987654321") && !is_account_id("21098765432x"));
    }
}
