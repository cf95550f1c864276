//! Maps an HTTP method and path to an API Gateway operation.

use hyper::Method;

/// An API Gateway operation with its path parameters (decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /usageplans`
    GetUsagePlans,
    /// `POST /usageplans`
    CreateUsagePlan,
    /// `GET /usageplans/{id}`
    GetUsagePlan(String),
    /// `PATCH /usageplans/{id}`
    UpdateUsagePlan(String),
    /// `DELETE /usageplans/{id}`
    DeleteUsagePlan(String),
    /// `GET /usageplans/{id}/keys`
    GetUsagePlanKeys(String),
    /// `POST /usageplans/{id}/keys`
    CreateUsagePlanKey(String),
    /// `GET /usageplans/{id}/keys/{keyId}`
    GetUsagePlanKey(String, String),
    /// `DELETE /usageplans/{id}/keys/{keyId}`
    DeleteUsagePlanKey(String, String),
    /// `GET /usageplans/{id}/usage`
    GetUsage(String),
    /// `PATCH /usageplans/{id}/keys/{keyId}/usage`
    UpdateUsage(String, String),
    /// `GET /apikeys`
    GetApiKeys,
    /// `POST /apikeys`
    CreateApiKey,
    /// `GET /apikeys/{id}`
    GetApiKey(String),
    /// `PATCH /apikeys/{id}`
    UpdateApiKey(String),
    /// `DELETE /apikeys/{id}`
    DeleteApiKey(String),
    /// `GET /restapis`
    GetRestApis,
    /// `POST /restapis`
    CreateRestApi,
    /// `GET /restapis/{id}`
    GetRestApi(String),
    /// `GET /restapis/{id}/stages`
    GetStages(String),
    /// `POST /restapis/{id}/stages`
    CreateStage(String),
    /// `GET /restapis/{id}/resources`
    GetResources(String),
    /// `GET /tags/{arn}`
    GetTags(String),
    /// `PUT /tags/{arn}`
    TagResource(String),
    /// `DELETE /tags/{arn}`
    UntagResource(String),
}

impl Route {
    /// The route of a request, or `None` for a path or method the emulator does not serve.
    pub fn parse(method: &Method, raw_path: &str) -> Option<Route> {
        let segments: Vec<String> = raw_path
            .trim_start_matches('/')
            .split('/')
            .map(percent_decode)
            .collect::<Option<_>>()?;
        let s: Vec<&str> = segments.iter().map(String::as_str).collect();
        let m = method.as_str();
        let id = |i: usize| s[i].to_string();
        let route = match (m, s.as_slice()) {
            ("GET", ["usageplans"]) => Route::GetUsagePlans,
            ("POST", ["usageplans"]) => Route::CreateUsagePlan,
            ("GET", ["usageplans", _]) => Route::GetUsagePlan(id(1)),
            ("PATCH", ["usageplans", _]) => Route::UpdateUsagePlan(id(1)),
            ("DELETE", ["usageplans", _]) => Route::DeleteUsagePlan(id(1)),
            ("GET", ["usageplans", _, "keys"]) => Route::GetUsagePlanKeys(id(1)),
            ("POST", ["usageplans", _, "keys"]) => Route::CreateUsagePlanKey(id(1)),
            ("GET", ["usageplans", _, "keys", _]) => Route::GetUsagePlanKey(id(1), id(3)),
            ("DELETE", ["usageplans", _, "keys", _]) => Route::DeleteUsagePlanKey(id(1), id(3)),
            ("GET", ["usageplans", _, "usage"]) => Route::GetUsage(id(1)),
            ("PATCH", ["usageplans", _, "keys", _, "usage"]) => Route::UpdateUsage(id(1), id(3)),
            ("GET", ["apikeys"]) => Route::GetApiKeys,
            ("POST", ["apikeys"]) => Route::CreateApiKey,
            ("GET", ["apikeys", _]) => Route::GetApiKey(id(1)),
            ("PATCH", ["apikeys", _]) => Route::UpdateApiKey(id(1)),
            ("DELETE", ["apikeys", _]) => Route::DeleteApiKey(id(1)),
            ("GET", ["restapis"]) => Route::GetRestApis,
            ("POST", ["restapis"]) => Route::CreateRestApi,
            ("GET", ["restapis", _]) => Route::GetRestApi(id(1)),
            ("GET", ["restapis", _, "stages"]) => Route::GetStages(id(1)),
            ("POST", ["restapis", _, "stages"]) => Route::CreateStage(id(1)),
            ("GET", ["restapis", _, "resources"]) => Route::GetResources(id(1)),
            ("GET", ["tags", _]) => Route::GetTags(id(1)),
            ("PUT", ["tags", _]) => Route::TagResource(id(1)),
            ("DELETE", ["tags", _]) => Route::UntagResource(id(1)),
            _ => return None,
        };
        if s.iter().any(|segment| segment.is_empty()) {
            return None;
        }
        Some(route)
    }

    /// The AWS operation name, as counted by `calls()`.
    pub fn operation(&self) -> &'static str {
        match self {
            Route::GetUsagePlans => "GetUsagePlans",
            Route::CreateUsagePlan => "CreateUsagePlan",
            Route::GetUsagePlan(_) => "GetUsagePlan",
            Route::UpdateUsagePlan(_) => "UpdateUsagePlan",
            Route::DeleteUsagePlan(_) => "DeleteUsagePlan",
            Route::GetUsagePlanKeys(_) => "GetUsagePlanKeys",
            Route::CreateUsagePlanKey(_) => "CreateUsagePlanKey",
            Route::GetUsagePlanKey(..) => "GetUsagePlanKey",
            Route::DeleteUsagePlanKey(..) => "DeleteUsagePlanKey",
            Route::GetUsage(_) => "GetUsage",
            Route::UpdateUsage(..) => "UpdateUsage",
            Route::GetApiKeys => "GetApiKeys",
            Route::CreateApiKey => "CreateApiKey",
            Route::GetApiKey(_) => "GetApiKey",
            Route::UpdateApiKey(_) => "UpdateApiKey",
            Route::DeleteApiKey(_) => "DeleteApiKey",
            Route::GetRestApis => "GetRestApis",
            Route::CreateRestApi => "CreateRestApi",
            Route::GetRestApi(_) => "GetRestApi",
            Route::GetStages(_) => "GetStages",
            Route::CreateStage(_) => "CreateStage",
            Route::GetResources(_) => "GetResources",
            Route::GetTags(_) => "GetTags",
            Route::TagResource(_) => "TagResource",
            Route::UntagResource(_) => "UntagResource",
        }
    }
}

/// Decodes `%XX` escapes (and, when `plus_is_space`, `+`) into UTF-8; `None` if malformed.
pub fn decode(text: &str, plus_is_space: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn percent_decode(segment: &str) -> Option<String> {
    decode(segment, false)
}

/// Parses a query string into name -> values (a name may repeat, as `tagKeys` does).
pub fn parse_query(query: Option<&str>) -> Option<std::collections::BTreeMap<String, Vec<String>>> {
    let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        out.entry(decode(name, true)?)
            .or_default()
            .push(decode(value, true)?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_decode_their_parameters() {
        let arn = "arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Fusageplans%2Fabc";
        assert_eq!(
            Route::parse(&Method::GET, &format!("/tags/{arn}")),
            Some(Route::GetTags(
                "arn:aws:apigateway:us-east-1::/usageplans/abc".into()
            ))
        );
        assert_eq!(
            Route::parse(&Method::PATCH, "/usageplans/p1/keys/k1/usage"),
            Some(Route::UpdateUsage("p1".into(), "k1".into()))
        );
        assert_eq!(Route::parse(&Method::PUT, "/usageplans"), None);
        assert_eq!(Route::parse(&Method::GET, "/usageplans//keys"), None);
        assert_eq!(Route::parse(&Method::GET, "/nothing"), None);
    }

    #[test]
    fn queries_keep_repeated_names() {
        let q = parse_query(Some("tagKeys=a&tagKeys=b%20c&limit=5")).unwrap();
        assert_eq!(q["tagKeys"], vec!["a", "b c"]);
        assert_eq!(q["limit"], vec!["5"]);
        assert!(parse_query(Some("x=%zz")).is_none());
    }
}
